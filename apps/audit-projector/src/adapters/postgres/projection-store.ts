import { requestIdOfStream, type AccessRequestEvent } from '@kairos/contracts';
import { describeFailure, PgParkedEvents, type CategoryEvent, type Queryable } from '@kairos/event-store';
import { escapeTextForPostgres, isTransientDatabaseError, toPostgresJson } from '@kairos/persistence';
import type { Classified } from '../../domain/classify-event';
import type { RecordedEvent } from '../../domain/recorded-event';
import { projectEvent, type ProjectionStore, type TimelineRecord } from '../../use-cases/project-event/project-event';
import { applyEvent } from './apply-event';
import type { AuditTables } from './audit-schema';

/**
 * An event's timeline columns up to its digest, in insert order; the chain columns follow. The data
 * and metadata as recorded (not upcast: the timeline shows what the store holds), with text
 * PostgreSQL refuses escaped; the digest is of the original.
 */
export function timelineValues(event: RecordedEvent, classified: Classified, digest: string): (string | null)[] {
  const text = escapeTextForPostgres;
  return [
    text(event.streamId),
    event.revision.toString(),
    text(requestIdOfStream(event.streamId)),
    text(event.id),
    text(event.type),
    event.position.commit.toString(),
    event.position.prepare.toString(),
    event.created.toISOString(),
    toPostgresJson(event.data ?? null),
    event.metadata === undefined ? null : toPostgresJson(event.metadata),
    classified.status,
    classified.status === 'recorded' ? null : text(classified.problem),
    digest,
  ];
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
}

/**
 * The audit schema inside one transaction, as the project-event use case needs it. `subscriptionId`
 * names the projection in `parked_events` when the read models cannot take an event (the live
 * projection's or a replay's).
 */
export class PgProjectionStore implements ProjectionStore {
  constructor(
    private readonly tx: Queryable,
    private readonly t: AuditTables,
    private readonly subscriptionId: string,
  ) {}

  async previousChainHash(stream: string, revision: bigint): Promise<string | null> {
    const previous = rowsOf(
      await this.tx.query(`SELECT chain_hash FROM ${this.t.events} WHERE stream = $1 AND revision < $2 ORDER BY revision DESC LIMIT 1`, [stream, revision.toString()]),
    )[0];
    return previous ? String(previous.chain_hash) : null;
  }

  async recordTimeline(entry: TimelineRecord): Promise<boolean> {
    const inserted = rowsOf(
      await this.tx.query(
        `INSERT INTO ${this.t.events} (stream, revision, request_id, event_id, type, commit_position, prepare_position, recorded_at, data, metadata, status, problem, digest, previous_hash, chain_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (stream, revision) DO NOTHING RETURNING revision`,
        [...timelineValues(entry.event, entry.classified, entry.digest), entry.previousHash, entry.chainHash],
      ),
    );
    return inserted.length > 0;
  }

  /** In a savepoint, so a refused change leaves the timeline entry; a database outage is rethrown. */
  async applyToReadModels(event: AccessRequestEvent): Promise<{ applied: true } | { applied: false; error: unknown }> {
    await this.tx.query('SAVEPOINT apply_event');
    try {
      await applyEvent(this.tx, this.t, event);
      await this.tx.query('RELEASE SAVEPOINT apply_event');
      return { applied: true };
    } catch (error) {
      if (isTransientDatabaseError(error)) throw error;
      await this.tx.query('ROLLBACK TO SAVEPOINT apply_event');
      return { applied: false, error };
    }
  }

  async parkRefused(event: RecordedEvent, error: unknown): Promise<void> {
    await this.tx.query(`UPDATE ${this.t.events} SET status = 'malformed', problem = $3 WHERE stream = $1 AND revision = $2`, [
      escapeTextForPostgres(event.streamId),
      event.revision.toString(),
      escapeTextForPostgres(`not applicable to the read models: ${describeFailure(error)}`),
    ]);
    await new PgParkedEvents(this.tx, this.t.schema).park(this.tx, this.subscriptionId, event as CategoryEvent, error, 1);
  }
}

/** The project-event use case in the transaction `tx` (the live projection's run, a replay's fallback). */
export function projectEventIn(tx: Queryable, t: AuditTables, event: RecordedEvent, subscriptionId: string): Promise<boolean | 'parked'> {
  return projectEvent(new PgProjectionStore(tx, t, subscriptionId), event);
}
