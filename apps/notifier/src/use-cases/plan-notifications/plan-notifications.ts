import type { Clock } from '@kairos/clock';
import { evolve, type AccessRequestState } from '@kairos/access-request-domain';
import { isAccessRequestEventType, type AccessRequestEvent } from '@kairos/contracts';
import { refuse } from '@kairos/refusal';
import type { Delegation } from '../../domain/delegation';
import type { EscalationRequests, NotificationQueue, RequestStates, Timer } from '../../domain/ports';
import { planNotifications } from '../../domain/plan';

export interface PlanSettings {
  readonly reminderAfterMs: number;
  readonly escalateAfterMs: number;
  readonly expiryWarningMs: number;
  readonly fulfillerGroup: string;
}

/** One request event as it arrived (a message of access-request.events). */
export interface RequestEventMessage {
  readonly id: string;
  readonly type: string;
  /** The record key: the request id, when the producer set one. */
  readonly key: string | null;
  /** When the event happened (CloudEvents time); reminders count from it. */
  readonly time: string;
  readonly data: unknown;
}

/** The notifier's tables inside the inbox transaction of the event (the postgres adapter: PgNotifierTx). */
export interface PlanStore extends RequestStates, NotificationQueue, EscalationRequests {
  saveState(requestId: string, state: AccessRequestState): Promise<void>;
  schedule(timer: Timer): Promise<void>;
  /** The delegations in force at `now` of these approvers (one per approver: the latest made). */
  activeDelegations(approvers: readonly string[], now: Date): Promise<Delegation[]>;
}

/**
 * Says what it queued, so the caller wakes the dispatcher (sends) or the outbox relay (escalations
 * asked of the request service) only then: most events of a request call for no message at all.
 */
export interface Queued {
  readonly sends: boolean;
  readonly messages: boolean;
}

/**
 * One event of access-request.events, inside the inbox transaction: the request folded with the
 * domain's `evolve`, what to tell whom queued, reminders and expiry warnings scheduled, and the
 * delegations of the approvers of a newly opened round asked for. A redelivery changes nothing
 * (the inbox drops it; every row is keyed by the event). An event that can never be applied is
 * refused (the Kafka adapter dead-letters it).
 */
export class PlanNotifications {
  constructor(
    private readonly clock: Clock,
    private readonly settings: PlanSettings,
  ) {}

  async run(store: PlanStore, message: RequestEventMessage): Promise<Queued> {
    const settings = this.settings;
    if (!isAccessRequestEventType(message.type)) throw refuse.unprocessable('NOTIFIER.UNKNOWN_EVENT', `unknown request event type ${message.type}`);
    const event = { type: message.type, data: message.data } as AccessRequestEvent;
    const requestId = event.data.requestId;
    if (message.key !== null && message.key !== requestId) throw refuse.unprocessable('NOTIFIER.KEY_MISMATCH', 'the record key is not the request id');
    const before = await store.loadState(requestId, true);
    if (before.status === 'empty' && event.type !== 'AccessRequested') {
      throw refuse.unprocessable('NOTIFIER.UNKNOWN_REQUEST', `${event.type} for a request this notifier never saw submitted`);
    }
    const after = evolve(before, event);
    if (after === before) return { sends: false, messages: false };
    await store.saveState(requestId, after);
    const now = this.clock.now();
    const at = Number.isNaN(Date.parse(message.time)) ? now : new Date(message.time);
    const plan = planNotifications(event, before, after);
    let messages = false;
    let index = 0;
    for (const notification of plan.notifications) {
      const recipients = 'group' in notification.recipients ? { group: settings.fulfillerGroup } : notification.recipients;
      await store.queueNotification(`${message.id}:${index++}`, requestId, { ...notification, recipients }, now);
    }
    for (const opened of plan.opened) {
      const key = `${requestId}:${opened.itemId}:${opened.key}`;
      if (opened.round.kind !== 'ratification') {
        await store.schedule({ key: `remind:${key}`, kind: 'remind', requestId, itemId: opened.itemId, roundKey: opened.key, dueAt: new Date(at.getTime() + settings.reminderAfterMs) });
        await store.schedule({
          key: `escalate:${key}`,
          kind: 'escalate',
          requestId,
          itemId: opened.itemId,
          roundKey: opened.key,
          dueAt: new Date(at.getTime() + settings.reminderAfterMs + settings.escalateAfterMs),
        });
      }
      if (opened.round.kind === 'approval') {
        // An approver who is away has a delegate: the delegate is asked for on the request's stream.
        const step = opened.round.step;
        for (const delegation of await store.activeDelegations(opened.waitingOn, now)) {
          messages = true;
          await store.requestEscalation({
            requestId,
            itemId: opened.itemId,
            escalationId: `delegation:${delegation.delegationId}:${requestId}:${opened.itemId}:${step}`,
            step,
            reason: 'delegation',
            approvers: [delegation.delegateId],
            delegatedBy: delegation.delegatorId,
            until: delegation.endsAt,
            requestedAt: now.toISOString(),
          });
        }
      }
    }
    for (const expiry of plan.expiries) {
      await store.schedule({
        key: `expiry:${requestId}:${expiry.itemId}:${expiry.grantId}:${expiry.expiresAt}`,
        kind: 'expiry_warning',
        requestId,
        itemId: expiry.itemId,
        roundKey: expiry.expiresAt,
        dueAt: new Date(Date.parse(expiry.expiresAt) - settings.expiryWarningMs),
      });
    }
    return { sends: plan.notifications.length > 0, messages };
  }
}
