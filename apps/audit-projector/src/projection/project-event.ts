import { requestIdOfStream } from '@kairos/contracts';
import { describeFailure, PgParkedEvents, type CategoryEvent, type Queryable } from '@kairos/event-store';
import { escapeTextForPostgres, isTransientDatabaseError, toPostgresJson } from '@kairos/persistence';
import { classifyEvent } from '../domain/classify-event';
import { chainLink, eventDigest, GENESIS } from '../domain/hash-chain';
import type { AuditTables } from './audit-schema';
import { applyEvent } from './apply-event';

/**
 * An event's timeline columns up to its digest, in insert order; the chain columns follow. The data
 * and metadata as recorded (not upcast: the timeline shows what the store holds), with text
 * PostgreSQL refuses escaped; the digest is of the original.
 */
export function timelineValues(event: CategoryEvent, classified: ReturnType<typeof classifyEvent>, digest: string): (string | null)[] {
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
 * Records one event: its timeline row with the next link of its stream's hash chain, then its effect
 * on the read models. Never refuses an event: unknown and malformed ones are recorded as such.
 * Returns false when the event was already recorded (a redelivery changes nothing), 'parked' when
 * the read models refused it.
 *
 * `subscriptionId` names the projection in `parked_events` when the read models cannot take the
 * event (the live projection's or a replay's).
 */
export async function projectEvent(tx: Queryable, t: AuditTables, event: CategoryEvent, subscriptionId: string): Promise<boolean | 'parked'> {
  const previous = rowsOf(
    await tx.query(`SELECT chain_hash FROM ${t.events} WHERE stream = $1 AND revision < $2 ORDER BY revision DESC LIMIT 1`, [event.streamId, event.revision.toString()]),
  )[0];
  const previousHash = previous ? String(previous.chain_hash) : GENESIS;
  const digest = eventDigest(event);
  const classified = classifyEvent(event.type, event.data, event.metadata);
  const inserted = rowsOf(
    await tx.query(
      `INSERT INTO ${t.events} (stream, revision, request_id, event_id, type, commit_position, prepare_position, recorded_at, data, metadata, status, problem, digest, previous_hash, chain_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (stream, revision) DO NOTHING RETURNING revision`,
      [...timelineValues(event, classified, digest), previousHash, chainLink(previousHash, digest)],
    ),
  );
  if (inserted.length === 0) return false;
  if (classified.status !== 'recorded') return true;
  // A valid event the read models still cannot take (say, a date PostgreSQL refuses) stays in the
  // timeline, marked malformed, and is parked, rather than stopping the projection. A database
  // outage is not the event's fault: it fails the transaction, which is retried.
  await tx.query('SAVEPOINT apply_event');
  try {
    await applyEvent(tx, t, classified.event);
    await tx.query('RELEASE SAVEPOINT apply_event');
  } catch (error) {
    if (isTransientDatabaseError(error)) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT apply_event');
    await tx.query(`UPDATE ${t.events} SET status = 'malformed', problem = $3 WHERE stream = $1 AND revision = $2`, [
      escapeTextForPostgres(event.streamId),
      event.revision.toString(),
      escapeTextForPostgres(`not applicable to the read models: ${describeFailure(error)}`),
    ]);
    await new PgParkedEvents(tx, t.schema).park(tx, subscriptionId, event, error, 1);
    return 'parked';
  }
  return true;
}
