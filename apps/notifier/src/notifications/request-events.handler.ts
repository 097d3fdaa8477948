import { evolve } from '@kairos/access-request-domain';
import { isAccessRequestEventType, TOPICS, type AccessRequestEvent, type ReviewEscalationRequested } from '@kairos/contracts';
import { enqueueOutbox, PoisonMessageError, type ReceivedMessage } from '@kairos/messaging';
import type { EntityManager } from 'typeorm';
import { activeDelegations } from '../delegations/delegations.repository';
import type { Clock } from '../shared/clock';
import { planNotifications } from './plan';
import { loadState, queueNotification, saveState, schedule } from './store';

export const NOTIFIER_SOURCE = 'urn:kairos:notifier';

export interface HandlerSettings {
  readonly reminderAfterMs: number;
  readonly escalateAfterMs: number;
  readonly expiryWarningMs: number;
  readonly fulfillerGroup: string;
}

export function escalationMessage(data: ReviewEscalationRequested['data']) {
  return {
    topic: TOPICS.notifierEscalations,
    key: data.requestId,
    id: data.escalationId,
    type: 'ReviewEscalationRequested' as const,
    subject: data.requestId,
    time: data.requestedAt,
    source: NOTIFIER_SOURCE,
    data,
  };
}

/**
 * One event of access-request.events, inside the inbox transaction: the request folded with the
 * domain's `evolve`, what to tell whom queued, reminders and expiry warnings scheduled, and the
 * delegations of the approvers of a newly opened round asked for. A redelivery changes nothing
 * (the inbox drops it; every row is keyed by the event).
 */
/**
 * Folds one request event into the notifier's view of the request and queues what it calls for.
 * Says what it queued, so the caller wakes the dispatcher (sends) or the outbox relay (escalations
 * asked of the request service) only then: most events of a request call for no message at all.
 */
export interface Queued {
  readonly sends: boolean;
  readonly messages: boolean;
}

export async function applyRequestEvent(message: ReceivedMessage, tx: EntityManager, clock: Clock, settings: HandlerSettings): Promise<Queued> {
  if (!isAccessRequestEventType(message.type)) throw new PoisonMessageError(`unknown request event type ${message.type}`);
  const event = { type: message.type, data: message.data } as AccessRequestEvent;
  const requestId = event.data.requestId;
  if (message.key !== null && message.key !== requestId) throw new PoisonMessageError('the record key is not the request id');
  const before = await loadState(tx, requestId, true);
  if (before.status === 'empty' && event.type !== 'AccessRequested') {
    throw new PoisonMessageError(`${event.type} for a request this notifier never saw submitted`);
  }
  const after = evolve(before, event);
  if (after === before) return { sends: false, messages: false };
  await saveState(tx, requestId, after);
  const now = clock.now();
  const at = Number.isNaN(Date.parse(message.time)) ? now : new Date(message.time);
  const plan = planNotifications(event, before, after);
  let messages = false;
  let index = 0;
  for (const notification of plan.notifications) {
    const recipients = 'group' in notification.recipients ? { group: settings.fulfillerGroup } : notification.recipients;
    await queueNotification(tx, `${message.id}:${index++}`, requestId, { ...notification, recipients }, now);
  }
  for (const opened of plan.opened) {
    const key = `${requestId}:${opened.itemId}:${opened.key}`;
    if (opened.round.kind !== 'ratification') {
      await schedule(tx, { key: `remind:${key}`, kind: 'remind', requestId, itemId: opened.itemId, roundKey: opened.key, dueAt: new Date(at.getTime() + settings.reminderAfterMs) });
      await schedule(tx, {
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
      for (const delegation of await activeDelegations(tx, opened.waitingOn, now)) {
        messages = true;
        await enqueueOutbox(tx, [
          escalationMessage({
            requestId,
            itemId: opened.itemId,
            escalationId: `delegation:${delegation.delegationId}:${requestId}:${opened.itemId}:${step}`,
            step,
            reason: 'delegation',
            approvers: [delegation.delegateId],
            delegatedBy: delegation.delegatorId,
            until: delegation.endsAt,
            requestedAt: now.toISOString(),
          }),
        ]);
      }
    }
  }
  for (const expiry of plan.expiries) {
    await schedule(tx, {
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

