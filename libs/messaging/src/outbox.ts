import type { DataSource, EntityManager } from 'typeorm';
import { traceparentOf } from '@kairos/observability';
import type { OutgoingMessage } from './envelope';
import type { MessagePublisher } from './publisher';
import { WorkLoop } from './work-loop';

/**
 * Queues messages in the same transaction as the state change that caused them; the relay
 * publishes them afterwards. A crash between the commit and the publish loses nothing: the row
 * stays until Kafka acknowledged it.
 */
export async function enqueueOutbox(tx: EntityManager, messages: readonly OutgoingMessage[]): Promise<void> {
  for (const m of messages) {
    await tx.query(
      `INSERT INTO messaging_outbox (topic, message_key, message_id, type, subject, source, time, data, traceparent, correlation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (message_id) DO NOTHING`,
      // The trace that queued it (a consumer's span, an HTTP request's) goes on when the relay sends it.
      [m.topic, m.key, m.id, m.type, m.subject, m.source, m.time, JSON.stringify(m.data), m.traceparent ?? traceparentOf() ?? null, m.correlationId ?? null],
    );
  }
}

interface OutboxRow {
  seq: string;
  topic: string;
  message_key: string;
  message_id: string;
  type: string;
  subject: string;
  source: string;
  time: string;
  data: unknown;
  traceparent: string | null;
  correlation_id: string | null;
}

export class OutboxRelay {
  private readonly loop: WorkLoop;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: MessagePublisher,
    private readonly options: { pollMs?: number; batchSize?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.loop = new WorkLoop(async () => (await this.publishBatch()) > 0, { idleMs: options.pollMs ?? 250, onError: options.onError });
  }

  start(): void {
    this.loop.start();
  }

  /** Asks the relay to look now, instead of at its next poll (call after committing). */
  notify(): void {
    this.loop.notify();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** How many messages wait in the outbox, and how long the oldest has waited (the relay's lag). */
  async backlog(): Promise<{ depth: number; oldestAgeSeconds: number }> {
    const [row]: { depth: number; age: number | null }[] = await this.dataSource.query(
      'SELECT count(*)::int AS depth, EXTRACT(EPOCH FROM clock_timestamp() - min(created_at))::float8 AS age FROM messaging_outbox',
    );
    return { depth: row?.depth ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
  }

  /** Publishes everything queued; returns how many messages went out. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.publishBatch();
      total += sent;
      if (sent === 0) return total;
    }
  }

  // One relay of a service publishes at a time (ADR 0028): a transaction-scoped advisory lock per
  // outbox, so two replicas never publish two batches side by side and a key's messages keep their
  // order on Kafka; a killed holder's lock goes with its session and the next poll of another takes
  // over. Rows are deleted only after Kafka acknowledged, so a crash means a re-send, never a loss.
  private async publishBatch(): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const [turn]: { mine: boolean }[] = await tx.query(`SELECT pg_try_advisory_xact_lock(hashtextextended(current_schema() || ':outbox-relay', 0)) AS mine`);
      if (!turn?.mine) return 0;
      const rows: OutboxRow[] = await tx.query(
        'SELECT * FROM messaging_outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED',
        [this.options.batchSize ?? 200],
      );
      if (rows.length === 0) return 0;
      await this.publisher.publish(
        rows.map((r) => ({
          topic: r.topic,
          key: r.message_key,
          id: r.message_id,
          type: r.type,
          subject: r.subject,
          source: r.source,
          time: r.time,
          data: r.data,
          traceparent: r.traceparent ?? undefined,
          correlationId: r.correlation_id ?? undefined,
        })),
      );
      await tx.query('DELETE FROM messaging_outbox WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
      return rows.length;
    });
  }
}
