import { createHash } from 'node:crypto';
import type { Iso8601, TimerFired, TimerKind } from '@kairos/contracts';

export const TIMER_STATUSES = ['pending', 'fired', 'cancelled'] as const;
export type TimerStatus = (typeof TIMER_STATUSES)[number];

/** What a timer is for; the same target always has the same timer id, so scheduling it again moves it. */
export interface TimerTarget {
  readonly requestId: string;
  readonly itemId: string;
  readonly kind: TimerKind;
  /** Only for access_expiry: each grant has its own timer. */
  readonly grantId?: string;
}

export interface ScheduledTimer extends TimerTarget {
  readonly timerId: string;
  readonly dueAt: Iso8601;
}

/** A pending timer whose due time has come, with the correlation id of the event that scheduled it. */
export interface DueTimer extends ScheduledTimer {
  readonly correlationId?: string;
}

export type Timer = ScheduledTimer &
  (
    | { readonly status: 'pending' }
    | { readonly status: 'fired'; readonly firedAt: Iso8601 }
    | { readonly status: 'cancelled'; readonly cancelledAt: Iso8601; readonly cancelledBy: string }
  );

export const timerIdOf = ({ requestId, itemId, kind, grantId }: TimerTarget): string =>
  kind === 'access_expiry' && grantId !== undefined ? `${requestId}/${itemId}/${kind}/${grantId}` : `${requestId}/${itemId}/${kind}`;

export const scheduled = (target: TimerTarget, dueAt: Iso8601): ScheduledTimer => ({
  ...target,
  timerId: timerIdOf(target),
  dueAt: new Date(dueAt).toISOString(),
});

/**
 * The CloudEvents id of a firing: the same timer at the same due time always gives the same id, so
 * a firing published twice (crash before the outbox row was deleted, a replica racing) is dropped by
 * the request service's inbox, while a moved timer fires under a new id.
 */
export const firingMessageId = (timerId: string, dueAt: Iso8601): string => {
  const hash = createHash('sha256')
    .update(`kairos:timer-fired:${timerId}@${new Date(dueAt).toISOString()}`)
    .digest('hex');
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-8${hash.slice(13, 16)}-a${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
};

export const timerFired = (timer: ScheduledTimer, firedAt: Date): TimerFired => ({
  type: 'TimerFired',
  data: {
    timerId: timer.timerId,
    requestId: timer.requestId,
    itemId: timer.itemId,
    ...(timer.kind === 'access_expiry' && timer.grantId !== undefined ? { grantId: timer.grantId } : {}),
    kind: timer.kind,
    dueAt: new Date(timer.dueAt).toISOString(),
    firedAt: firedAt.toISOString(),
  },
});

/** How long to sleep before looking again: until the next due timer, never longer than `maxSleepMs`. */
export const sleepFor = (nextDueAt: Date | undefined, now: Date, maxSleepMs: number): number => {
  if (!nextDueAt) return maxSleepMs;
  return Math.max(0, Math.min(maxSleepMs, nextDueAt.getTime() - now.getTime()));
};
