import type { GrantRequested, ItemApproved } from '@kairos/contracts';
import type { SubmitAccessRequest } from '../commands';
import { addDuration, compareDurations, isDuration, isZeroDuration } from '../duration';
import { fail } from '../errors';
import { reuseApplies } from '../review-rules';
import type { AccessRequestState } from '../state';
import { grantIdFor, isAdmin, type Events } from './shared';

// Submission

export const submit = ({ data, metadata }: SubmitAccessRequest, state: AccessRequestState): Events => {
  const { now, actor } = metadata;
  if (state.status !== 'empty') {
    return fail('ACCESS_REQUEST.ALREADY_EXISTS', 'this access request was already submitted', {
      requestId: state.requestId,
    });
  }
  // Acting for someone else is an admin power: otherwise anyone could make a colleague hold access.
  if (actor.id !== data.requester.id && !isAdmin(actor)) {
    return fail('ACCESS_REQUEST.FORBIDDEN', 'only an admin may request access on behalf of someone else', {
      actorId: actor.id,
      requesterId: data.requester.id,
    });
  }
  if (data.items.length === 0) return fail('ACCESS_REQUEST.INVALID_REQUEST', 'a request needs at least one item');
  const itemIds = new Set(data.items.map((item) => item.itemId));
  if (itemIds.size !== data.items.length) {
    return fail('ACCESS_REQUEST.INVALID_REQUEST', 'item ids must be unique within a request');
  }
  if (!isDuration(data.duration) || isZeroDuration(data.duration)) {
    return fail('ACCESS_REQUEST.INVALID_DURATION', 'duration must be a non-zero ISO 8601 duration', {
      duration: data.duration,
    });
  }
  const justified = data.justification.trim().length > 0;
  for (const item of data.items) {
    const { policy } = item;
    if (compareDurations(data.duration, policy.maxDuration, now) > 0) {
      return fail('ACCESS_REQUEST.DURATION_EXCEEDED', `item ${item.itemId} allows at most ${policy.maxDuration}`, {
        itemId: item.itemId,
        duration: data.duration,
        maxDuration: policy.maxDuration,
      });
    }
    if (!justified && (policy.justificationRequired || data.breakGlass)) {
      return fail('ACCESS_REQUEST.JUSTIFICATION_REQUIRED', `item ${item.itemId} needs a justification`, {
        itemId: item.itemId,
      });
    }
    if (data.breakGlass && !policy.breakGlass.allowed) {
      return fail('ACCESS_REQUEST.BREAK_GLASS_NOT_ALLOWED', `break-glass is not allowed for item ${item.itemId}`, {
        itemId: item.itemId,
      });
    }
  }

  const events: Events = [
    {
      type: 'AccessRequested',
      data: {
        requestId: data.requestId,
        requester: data.requester,
        ...(data.requesterGroups !== undefined ? { requesterGroups: data.requesterGroups } : {}),
        requestedBy: actor.id,
        onBehalf: actor.id !== data.requester.id,
        justification: data.justification,
        duration: data.duration,
        ...(data.ticket !== undefined ? { ticket: data.ticket } : {}),
        breakGlass: data.breakGlass,
        items: data.items.map((item) => ({
          itemId: item.itemId,
          resourceId: item.resourceId,
          role: item.role,
          policy: item.policy,
          pendingExpiresAt: addDuration(now, item.policy.pendingTtl),
        })),
        requestedAt: now,
      },
    },
  ];

  for (const item of data.items) {
    const { policy } = item;
    const grant: GrantRequested['data'] = {
      requestId: data.requestId,
      itemId: item.itemId,
      grantId: grantIdFor(data.requestId, item.itemId),
      subject: data.requester,
      resourceId: item.resourceId,
      role: item.role,
      target: policy.target,
      duration: data.duration,
      breakGlass: data.breakGlass,
      requestedAt: now,
    };
    const approved = (via: ItemApproved['data']['via'], approvalExpiresAt: string, extra = {}): Events => [
      {
        type: 'ItemApproved',
        data: {
          requestId: data.requestId,
          itemId: item.itemId,
          via,
          duration: data.duration,
          approvalExpiresAt,
          ...extra,
          approvedAt: now,
        },
      },
      { type: 'GrantRequested', data: grant },
    ];
    const reused = policy.reusesApproval;
    if (data.breakGlass) {
      events.push({
        type: 'BreakGlassInvoked',
        data: {
          requestId: data.requestId,
          itemId: item.itemId,
          invokedBy: actor.id,
          ratifyBy: addDuration(now, policy.breakGlass.ratifyWithin),
          ratifiers: policy.breakGlass.ratifiers,
          invokedAt: now,
        },
      });
      events.push(...approved('break_glass', addDuration(now, policy.approvalValidity)));
    } else if (reused && reuseApplies(policy, data.duration, now)) {
      // Checked before "automatic": a reused approval is what people decided, with their end and
      // their duration, never a fresh automatic one.
      events.push(
        ...approved('reused_approval', reused.approvalExpiresAt, {
          reusedFrom: { requestId: reused.requestId, itemId: reused.itemId },
        }),
      );
    } else if (policy.mode === 'automatic' || policy.steps.length === 0) {
      events.push(...approved('automatic', addDuration(now, policy.approvalValidity)));
    }
  }
  return events;
};

