import type { AccessRequestEvent, ReviewEscalationRequested } from '@kairos/contracts';
import type { Command } from './commands';
import { compareInstants } from './duration';
import { fail } from './errors';
import type { AccessRequestState, RequestDetails } from './state';

/**
 * Records that more people may review an item's current step (ADR 0016): the step's fallback
 * approvers after nobody answered in time, or an approver's delegate while they are away. The
 * notifier asks (`ReviewEscalationRequested` on notifier.escalations); this decides.
 */
export type RecordReviewEscalation = Command<'RecordReviewEscalation', ReviewEscalationRequested['data']>;

/** More than this in one escalation is a mistake or an attack, never an owner group. */
export const MAX_ESCALATION_APPROVERS = 200;

type Request = RequestDetails & { readonly status: 'open' | 'closed' };

/**
 * Only while the item still waits on that very step, and before its approval window closes: a late
 * escalation (the step passed, the item was decided) records nothing. The requester and whoever
 * raised an on-behalf request are never added (canReview refuses them first anyway). A delegation
 * must come from someone who may review the step, and has an end. Adding nobody new records nothing,
 * so a redelivered request is harmless.
 */
export const recordReviewEscalation = ({ data, metadata }: RecordReviewEscalation, state: AccessRequestState): AccessRequestEvent[] => {
  if (state.status === 'empty') return fail('ACCESS_REQUEST.NOT_FOUND', 'there is no such access request');
  const request: Request = state;
  const item = request.items.find((candidate) => candidate.itemId === data.itemId);
  if (!item) return fail('ACCESS_REQUEST.ITEM_NOT_FOUND', `request ${request.requestId} has no item ${data.itemId}`, { itemId: data.itemId });
  if (!Number.isInteger(data.step) || data.step < 0) {
    return fail('ACCESS_REQUEST.INVALID_REQUEST', `step ${data.step} is not a step index`, { step: data.step });
  }
  if (data.approvers.length === 0 || data.approvers.length > MAX_ESCALATION_APPROVERS) {
    return fail('ACCESS_REQUEST.INVALID_REQUEST', `an escalation names 1 to ${MAX_ESCALATION_APPROVERS} approvers`, { count: data.approvers.length });
  }
  if (item.status !== 'awaiting_approval' || item.step !== data.step) return [];
  if (compareInstants(metadata.now, item.pendingExpiresAt) >= 0) return [];
  const snapshot = item.policy.steps[data.step];
  if (!snapshot) return [];
  if (data.reason === 'delegation') {
    if (data.delegatedBy === undefined || data.until === undefined) {
      return fail('ACCESS_REQUEST.INVALID_REQUEST', 'a delegation names who delegates and until when');
    }
    if (!snapshot.approvers.includes(data.delegatedBy)) {
      return fail('ACCESS_REQUEST.NOT_ELIGIBLE', `${data.delegatedBy} may not review step "${snapshot.name}" and cannot delegate it`, {
        delegatedBy: data.delegatedBy,
      });
    }
    if (compareInstants(data.until, metadata.now) <= 0) return [];
  }
  const excluded = new Set([request.requester.id, ...(request.onBehalf ? [request.requestedBy] : [])]);
  const added = [...new Set(data.approvers)].filter((id) => !excluded.has(id) && !snapshot.approvers.includes(id));
  if (added.length === 0) return [];
  return [
    {
      type: 'ReviewEscalated',
      data: {
        requestId: request.requestId,
        itemId: item.itemId,
        escalationId: data.escalationId,
        step: data.step,
        reason: data.reason,
        approvers: added,
        ...(data.reason === 'delegation' && data.delegatedBy !== undefined ? { delegatedBy: data.delegatedBy } : {}),
        ...(data.reason === 'delegation' && data.until !== undefined ? { until: data.until } : {}),
        escalatedAt: metadata.now,
      },
    },
  ];
};
