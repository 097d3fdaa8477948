import type { AccessRequestState } from '@kairos/access-request-domain';
import type { ReviewEscalationRequested } from '@kairos/contracts';
import type { PlannedNotification } from './plan';

/**
 * What the use cases keep, inside the transaction they run in (the postgres adapter: PgNotifierTx).
 * Every write is keyed, so doing it twice changes nothing.
 */
export interface RequestStates {
  /** The notifier's view of a request (the domain's initial state when it never saw it); `lock` holds it to the transaction. */
  loadState(requestId: string, lock?: boolean): Promise<AccessRequestState>;
}

export interface NotificationQueue {
  /** Queues what to tell whom; `id` makes it unique (a second queue of the same id changes nothing). */
  queueNotification(id: string, requestId: string, notification: PlannedNotification, now: Date): Promise<void>;
}

export interface EscalationRequests {
  /** Asks the request service (on its stream, through the outbox) to open a review to more approvers. */
  requestEscalation(data: ReviewEscalationRequested['data']): Promise<void>;
}

export type TimerKind = 'remind' | 'escalate' | 'expiry_warning';

/** A wake-up of a request item: a reminder, an escalation or an expiry warning. */
export interface Timer {
  readonly key: string;
  readonly kind: TimerKind;
  readonly requestId: string;
  readonly itemId: string;
  /** The review round (or the grant's expiry) the timer is about: it fires only while that still holds. */
  readonly roundKey: string;
  readonly dueAt: Date;
}

/** What the notifier's work says as it goes (the service's logger). */
export interface NotifierLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}
