import { TOPICS, type ReviewEscalationRequested } from '@kairos/contracts';

export const NOTIFIER_SOURCE = 'urn:kairos:notifier';

/** A review escalation asked of the request service, as the outbox publishes it on notifier.escalations. */
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
