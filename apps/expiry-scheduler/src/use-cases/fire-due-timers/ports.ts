import type { Iso8601, TimerFired } from '@kairos/contracts';
import type { DueTimer } from '../../domain/timer';

/** A TimerFired message as queued for publishing (the outbox's message shape). */
export interface FiringMessage {
  readonly topic: string;
  readonly key: string;
  readonly id: string;
  readonly type: 'TimerFired';
  readonly subject: string;
  readonly time: Iso8601;
  readonly source: string;
  readonly data: TimerFired['data'];
  readonly correlationId?: string;
}

/** What one firing round does in one transaction: claim due timers, queue their messages, mark them fired. */
export interface FiringTransaction {
  /** Locks up to `limit` pending timers due at `now` (replicas skip each other's, so each is claimed once). */
  claimDue(now: Date, limit: number): Promise<DueTimer[]>;
  /** Queues messages to be published once the transaction committed (the outbox). */
  enqueue(messages: readonly FiringMessage[]): Promise<void>;
  markFired(timerIds: readonly string[], firedAt: Date): Promise<void>;
}

export interface FiringStore {
  transaction<T>(work: (tx: FiringTransaction) => Promise<T>): Promise<T>;
  /** The due time of the earliest pending timer, if any. */
  nextDueAt(): Promise<Date | undefined>;
}

/** Told after a batch's transaction committed: wake the outbox relay, count, log. */
export interface FiringListener {
  fired(timers: readonly DueTimer[], firedAt: Date): void;
}
