import type { DataSource, EntityManager } from 'typeorm';
import type { TimerKind } from '@kairos/contracts';
import { assertNever } from '@kairos/contracts';
import { enqueueOutbox } from '@kairos/messaging';
import type { TimerChange } from '../../domain/plan';
import type { DueTimer, ScheduledTimer, Timer, TimerStatus } from '../../domain/timer';
import type { FiringStore, FiringTransaction } from '../../use-cases/fire-due-timers/ports';
import type { TimerFilter, TimerReader } from '../../use-cases/list-timers/list-timers';
import type { TimerSchedule } from '../../use-cases/schedule-timers/ports';

interface TimerRow {
  timer_id: string;
  request_id: string;
  item_id: string;
  grant_id: string | null;
  kind: TimerKind;
  due_at: Date;
  status: TimerStatus;
  fired_at: Date | null;
  cancelled_at: Date | null;
  cancelled_by: string | null;
  correlation_id: string | null;
}

const toScheduled = (row: TimerRow): ScheduledTimer => ({
  timerId: row.timer_id,
  requestId: row.request_id,
  itemId: row.item_id,
  kind: row.kind,
  dueAt: row.due_at.toISOString(),
  ...(row.grant_id !== null ? { grantId: row.grant_id } : {}),
});

const toTimer = (row: TimerRow): Timer => {
  const base = toScheduled(row);
  switch (row.status) {
    case 'pending':
      return { ...base, status: 'pending' };
    case 'fired':
      return { ...base, status: 'fired', firedAt: (row.fired_at ?? row.due_at).toISOString() };
    case 'cancelled':
      return {
        ...base,
        status: 'cancelled',
        cancelledAt: (row.cancelled_at ?? row.due_at).toISOString(),
        cancelledBy: row.cancelled_by ?? 'unknown',
      };
    default:
      return assertNever(row.status);
  }
};

/** SQL over the `timers` table; every function runs in the caller's transaction. */
export const timerRepository = {
  async apply(tx: EntityManager, changes: readonly TimerChange[], at: Date, correlationId?: string): Promise<void> {
    for (const change of changes) {
      switch (change.type) {
        case 'schedule': {
          const t = change.timer;
          // Scheduling again at the same instant changes nothing (a fired timer stays fired); a new
          // instant moves the timer and makes it pending again, so the old due time is gone.
          await tx.query(
            `INSERT INTO timers (timer_id, request_id, item_id, grant_id, kind, due_at, status, scheduled_at, correlation_id)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8)
             ON CONFLICT (timer_id) DO UPDATE SET due_at = EXCLUDED.due_at, status = 'pending', scheduled_at = EXCLUDED.scheduled_at,
               fired_at = NULL, cancelled_at = NULL, cancelled_by = NULL, correlation_id = EXCLUDED.correlation_id
             WHERE timers.due_at IS DISTINCT FROM EXCLUDED.due_at`,
            [t.timerId, t.requestId, t.itemId, t.grantId ?? null, t.kind, t.dueAt, at, correlationId ?? null],
          );
          break;
        }
        case 'cancel':
          await tx.query(
            `UPDATE timers SET status = 'cancelled', cancelled_at = $4, cancelled_by = $5
             WHERE request_id = $1 AND item_id = $2 AND kind = ANY($3::text[]) AND status = 'pending'`,
            [change.requestId, change.itemId, [...change.kinds], at, change.because],
          );
          break;
        default:
          assertNever(change);
      }
    }
  },

  /** Locks due timers; replicas skip each other's rows, so one firing is claimed once. */
  async claimDue(tx: EntityManager, now: Date, limit: number): Promise<DueTimer[]> {
    const rows: TimerRow[] = await tx.query(
      `SELECT * FROM timers WHERE status = 'pending' AND due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows.map((row) => ({ ...toScheduled(row), ...(row.correlation_id ? { correlationId: row.correlation_id } : {}) }));
  },

  async markFired(tx: EntityManager, timerIds: readonly string[], firedAt: Date): Promise<void> {
    await tx.query(`UPDATE timers SET status = 'fired', fired_at = $2 WHERE timer_id = ANY($1::text[])`, [[...timerIds], firedAt]);
  },

  /** Timers due at `now` and still pending, and how long the oldest of them has been due. */
  async overdue(tx: EntityManager, now: Date): Promise<{ count: number; oldestAgeSeconds: number }> {
    const [row]: { n: number; age: number | null }[] = await tx.query(
      `SELECT count(*)::int AS n, EXTRACT(EPOCH FROM $1::timestamptz - min(due_at))::float8 AS age FROM timers WHERE status = 'pending' AND due_at <= $1`,
      [now],
    );
    return { count: row?.n ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
  },

  async nextDueAt(tx: EntityManager): Promise<Date | undefined> {
    const [row]: { next: Date | null }[] = await tx.query(`SELECT min(due_at) AS next FROM timers WHERE status = 'pending'`);
    return row?.next ?? undefined;
  },

  async list(tx: EntityManager, filter: { requestId?: string; status: TimerStatus; limit: number }): Promise<Timer[]> {
    const rows: TimerRow[] = await tx.query(
      `SELECT * FROM timers WHERE status = $1 AND ($2::text IS NULL OR request_id = $2) ORDER BY due_at, timer_id LIMIT $3`,
      [filter.status, filter.requestId ?? null, filter.limit],
    );
    return rows.map(toTimer);
  },
};

/** The timers of one inbox transaction (the request event being handled). */
export class PostgresTimerSchedule implements TimerSchedule {
  constructor(private readonly tx: EntityManager) {}

  apply(changes: readonly TimerChange[], at: Date, correlationId?: string): Promise<void> {
    return timerRepository.apply(this.tx, changes, at, correlationId);
  }
}

/** Firing rounds: each batch in one transaction, its TimerFired messages in the outbox. */
export class PostgresFiringStore implements FiringStore {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: FiringTransaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((tx) =>
      work({
        claimDue: (now, limit) => timerRepository.claimDue(tx, now, limit),
        enqueue: (messages) => enqueueOutbox(tx, messages),
        markFired: (timerIds, firedAt) => timerRepository.markFired(tx, timerIds, firedAt),
      }),
    );
  }

  nextDueAt(): Promise<Date | undefined> {
    return timerRepository.nextDueAt(this.dataSource.manager);
  }
}

export class PostgresTimerReader implements TimerReader {
  constructor(private readonly dataSource: DataSource) {}

  list(filter: TimerFilter): Promise<Timer[]> {
    return timerRepository.list(this.dataSource.manager, filter);
  }
}
