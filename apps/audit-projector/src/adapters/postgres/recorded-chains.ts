import { PgParkedEvents } from '@kairos/event-store';
import type { DataSource } from 'typeorm';
import type { RecordedLink } from '../../domain/stream-verification';
import type { RecordedChains } from '../../use-cases/verify-streams/verify-streams';
import type { AuditTables } from './audit-schema';

/** The hash chain in the audit timeline, and the parked events: what verify compares the store with. */
export class PgRecordedChains implements RecordedChains {
  constructor(
    private readonly db: DataSource,
    private readonly tables: AuditTables,
  ) {}

  async links(): Promise<Map<string, RecordedLink[]>> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT stream, revision, event_id, digest, previous_hash, chain_hash FROM ${this.tables.events} ORDER BY stream, revision`,
    );
    const out = new Map<string, RecordedLink[]>();
    for (const r of rows) {
      const stream = String(r.stream);
      const link: RecordedLink = {
        revision: BigInt(String(r.revision)),
        eventId: String(r.event_id),
        digest: String(r.digest),
        previousHash: String(r.previous_hash),
        chainHash: String(r.chain_hash),
      };
      const list = out.get(stream);
      if (list) list.push(link);
      else out.set(stream, [link]);
    }
    return out;
  }

  parkedCount(): Promise<number> {
    return new PgParkedEvents(this.db, this.tables.schema).count();
  }
}
