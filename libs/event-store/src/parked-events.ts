import { Gauge, type Registry } from 'prom-client';
import { databaseAnswers, escapeTextForPostgres, isTransientDatabaseError } from '@kairos/persistence';
import type { Queryable } from './pg-checkpoint-store';
import type { CategoryEvent } from './subscribe-to-category';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const MAX_ERROR = 1_000;

/** An event a projection could not store and went past; the event store still holds it unchanged. */
export interface ParkedEvent {
  readonly subscriptionId: string;
  readonly stream: string;
  readonly revision: string;
  readonly position: { readonly commit: string; readonly prepare: string };
  readonly eventId: string;
  readonly type: string;
  /** Why it could not be stored (the database's or the reader's message, with its SQLSTATE when there is one). */
  readonly error: string;
  readonly attempts: number;
  readonly firstSeen: string;
}

/** The error as one line for the parked row and the log: code and message, never a stack or a row dump. */
export function describeFailure(error: unknown): string {
  const code = error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return `${code ? `[${code}] ` : ''}${name}: ${message}`.slice(0, MAX_ERROR);
}

/**
 * The `parked_events` table of one service schema: events a projection skipped because storing them
 * failed for a reason retrying cannot fix. One row per subscription and event; parking again is a no-op.
 */
export class PgParkedEvents {
  readonly table: string;

  constructor(
    private readonly db: Queryable,
    schema = 'public',
  ) {
    if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
    this.table = `"${schema}".parked_events`;
  }

  /** DDL for migrations (idempotent). */
  createTableSql(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.table} (
      subscription_id text NOT NULL,
      stream text NOT NULL,
      revision bigint NOT NULL,
      commit_position numeric(20) NOT NULL,
      prepare_position numeric(20) NOT NULL,
      event_id text NOT NULL,
      type text NOT NULL,
      error text NOT NULL,
      attempts integer NOT NULL,
      first_seen timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (subscription_id, stream, revision))`;
  }

  async ensureTable(): Promise<void> {
    await this.db.query(this.createTableSql());
  }

  /** Records the event as parked, in the caller's transaction (with the checkpoint that moves past it). */
  async park(tx: Queryable, subscriptionId: string, event: CategoryEvent, error: unknown, attempts: number): Promise<void> {
    const text = (value: string) => escapeTextForPostgres(value);
    await tx.query(
      `INSERT INTO ${this.table} (subscription_id, stream, revision, commit_position, prepare_position, event_id, type, error, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (subscription_id, stream, revision) DO NOTHING`,
      [
        text(subscriptionId),
        text(event.streamId),
        event.revision.toString(),
        event.position.commit.toString(),
        event.position.prepare.toString(),
        text(event.id),
        text(event.type),
        text(describeFailure(error)),
        attempts,
      ],
    );
  }

  async count(subscriptionId?: string): Promise<number> {
    const rows = (await this.db.query(
      `SELECT count(*)::int AS n FROM ${this.table}${subscriptionId === undefined ? '' : ' WHERE subscription_id = $1'}`,
      subscriptionId === undefined ? [] : [subscriptionId],
    )) as { n: number }[];
    return Number(rows[0]?.n ?? 0);
  }

  /** Parked events, oldest first. */
  async list(options: { subscriptionId?: string; limit?: number; offset?: number } = {}): Promise<ParkedEvent[]> {
    const params: unknown[] = [];
    const where = options.subscriptionId === undefined ? '' : `WHERE subscription_id = $${params.push(options.subscriptionId)}`;
    const rows = (await this.db.query(
      `SELECT subscription_id, stream, revision::text AS revision, commit_position::text AS commit_position, prepare_position::text AS prepare_position,
              event_id, type, error, attempts, first_seen
       FROM ${this.table} ${where} ORDER BY commit_position, prepare_position, subscription_id
       LIMIT $${params.push(options.limit ?? 100)} OFFSET $${params.push(options.offset ?? 0)}`,
      params,
    )) as Record<string, unknown>[];
    return rows.map((r) => ({
      subscriptionId: String(r.subscription_id),
      stream: String(r.stream),
      revision: String(r.revision),
      position: { commit: String(r.commit_position), prepare: String(r.prepare_position) },
      eventId: String(r.event_id),
      type: String(r.type),
      error: String(r.error),
      attempts: Number(r.attempts),
      firstSeen: new Date(r.first_seen as string | Date).toISOString(),
    }));
  }
}

/** `kairos_parked_events{subscription}`: one gauge per service registry, shared by its projections. */
export function parkedEventsGauge(registry: Registry): Gauge<'subscription'> {
  const name = 'kairos_parked_events';
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<'subscription'>;
  return new Gauge({
    name,
    help: 'Events a projection could not store and skipped (see the parked_events table), by subscription',
    labelNames: ['subscription'],
    registers: [registry],
  });
}

export interface ParkingLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface ParkingOptions {
  /** The projection's database: probed to tell an outage from a poison event. */
  readonly db: Queryable;
  readonly parked: PgParkedEvents;
  readonly subscriptionId: string;
  /** Runs `work` in one transaction of the projection's database. */
  readonly transaction: (work: (tx: Queryable) => Promise<void>) => Promise<void>;
  /** Moves the projection's checkpoint past the parked event, in the parking transaction. */
  readonly saveCheckpoint?: (tx: Queryable, event: CategoryEvent) => Promise<void>;
  readonly log?: ParkingLog;
  /** Tries of a failing event before it is parked (the database answering each time). Default 3. */
  readonly maxAttempts?: number;
  readonly retryDelayMs?: number;
  /** Called once the event is parked (after the commit): the alarm's gauge and counters. */
  readonly onParked?: (event: CategoryEvent, error: unknown) => void;
}

/** Parks `event` with the checkpoint that moves past it (one transaction), then logs it and calls `onParked`. */
async function parkEvent(options: ParkingOptions, event: CategoryEvent, error: unknown, attempts: number): Promise<void> {
  await options.transaction(async (tx) => {
    await options.parked.park(tx, options.subscriptionId, event, error, attempts);
    await options.saveCheckpoint?.(tx, event);
  });
  options.log?.error('event parked: it cannot be stored; the projection skipped it', {
    subscription: options.subscriptionId,
    stream: event.streamId,
    revision: event.revision.toString(),
    eventId: event.id,
    type: event.type,
    error: describeFailure(error),
  });
  options.onParked?.(event, error);
}

/** Whether a failure is an outage (rethrown: the subscription resumes from its checkpoint and blocks) rather than the event's fault. */
async function isOutage(options: ParkingOptions, error: unknown): Promise<boolean> {
  return isTransientDatabaseError(error) || !(await databaseAnswers(options.db));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wraps a projection's handler so one event can never stall it. A failure that is an outage (a
 * transient database error, or the database not answering) is rethrown: the subscription stops
 * and resumes from its checkpoint, blocking until the database is back. Any other failure is the
 * event's own: after `maxAttempts` tries the event is parked (its stream, revision, position, id,
 * type and the error, plus the checkpoint, in one transaction), an error is logged, and the
 * projection goes on with the next event. The same rule as the Kafka consumer's dead-lettering.
 */
export function parkingHandler(handler: (event: CategoryEvent) => Promise<void>, options: ParkingOptions): (event: CategoryEvent) => Promise<void> {
  const maxAttempts = options.maxAttempts ?? 3;
  const delay = options.retryDelayMs ?? 100;
  return async (event) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(event);
        return;
      } catch (error) {
        if (await isOutage(options, error)) throw error;
        if (attempt < maxAttempts) {
          await sleep(delay * attempt);
          continue;
        }
        await parkEvent(options, event, error, attempt);
        return;
      }
    }
  };
}

/** What a projection does once the transaction holding an event committed (a log line, a gauge, waking readers). */
export type AfterCommit = () => void | Promise<void>;

export interface BatchedProjectionOptions extends ParkingOptions {
  /** Saves the checkpoint of the last event of a run, in the run's transaction. */
  readonly saveCheckpoint: (tx: Queryable, event: CategoryEvent) => Promise<void>;
}

/**
 * A projection written a run of events at a time (issue 17): `apply` writes each event's rows in
 * the run's one transaction, in order, and the checkpoint of the run's last event is saved in the
 * same transaction, so after a crash the rows and the checkpoint are both there or neither.
 *
 * Poison events are parked as `parkingHandler` parks them (ADR 0016), and only they are: when a
 * run fails for an event's sake, the events before it are written again as a run, the failing one
 * alone (its try in the run counts as its first attempt; after `maxAttempts` it is parked with
 * the checkpoint past it), and the rest go on in runs. An outage fails the whole run, which is
 * rolled back and resumed from the checkpoint, as for one event. `apply` may return what to do
 * after the commit; it runs only for transactions that committed.
 */
export function batchedProjection(
  apply: (tx: Queryable, event: CategoryEvent) => Promise<AfterCommit | void>,
  options: BatchedProjectionOptions,
): (events: readonly CategoryEvent[]) => Promise<void> {
  const maxAttempts = options.maxAttempts ?? 3;
  const delay = options.retryDelayMs ?? 100;
  /** Writes the run in one transaction; on a failure that is not an outage, says at which event. */
  const write = async (run: readonly CategoryEvent[]): Promise<{ ok: true } | { ok: false; failedAt: number; error: unknown }> => {
    let at = 0;
    const after: AfterCommit[] = [];
    try {
      await options.transaction(async (tx) => {
        for (; at < run.length; at++) {
          const then = await apply(tx, run[at]!);
          if (then) after.push(then);
        }
        await options.saveCheckpoint(tx, run[run.length - 1]!);
      });
    } catch (error) {
      if (await isOutage(options, error)) throw error;
      // A failure after every event was written (the checkpoint, the commit) is blamed on none: the first goes alone.
      return { ok: false, failedAt: at < run.length ? at : 0, error };
    }
    for (const then of after) await then();
    return { ok: true };
  };
  const alone = async (event: CategoryEvent, triedAlready: number, lastError?: unknown): Promise<void> => {
    if (triedAlready >= maxAttempts) return parkEvent(options, event, lastError, triedAlready);
    for (let attempt = triedAlready + 1; ; attempt++) {
      if (attempt > 1) await sleep(delay * (attempt - 1));
      const result = await write([event]);
      if (result.ok) return;
      if (attempt >= maxAttempts) return parkEvent(options, event, result.error, attempt);
    }
  };
  return async (events) => {
    let rest = events;
    while (rest.length > 0) {
      if (rest.length === 1) return alone(rest[0]!, 0);
      const result = await write(rest);
      if (result.ok) return;
      const before = rest.slice(0, result.failedAt);
      if (before.length > 0 && !(await write(before)).ok) {
        for (const event of before) await alone(event, 0);
      }
      await alone(rest[result.failedAt]!, 1, result.error);
      rest = rest.slice(result.failedAt + 1);
    }
  };
}
