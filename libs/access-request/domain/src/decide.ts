import type {
  AccessRequestEvent,
  GrantRequested,
  ItemApproved,
  ReviewRecorded,
  RevocationReason,
  RevocationRequested,
} from '@kairos/contracts';
import type {
  AccessRequestCommand,
  Actor,
  CancelAccessRequest,
  ExtendAccess,
  RecordGrantFailed,
  RecordGrantSucceeded,
  RecordProvisioningStarted,
  RecordReview,
  RecordRevokeFailed,
  RecordRevokeSucceeded,
  RecordTimerFired,
  ReleaseAccess,
  RevokeAccess,
  SubmitAccessRequest,
} from './commands';
import { addDuration, compareDurations, compareInstants, isDuration, isZeroDuration } from './duration';
import { fail, type AccessRequestErrorCode } from './errors';
import { recordReviewEscalation } from './escalation';
import { canReview, resolveReview, reuseApplies, roundName, type ReviewRefusalCode, type ReviewRound } from './review-rules';
import { assertNever, type AccessRequestState, type ItemOf, type ItemState, type RequestDetails } from './state';

type Request = RequestDetails & { readonly status: 'open' | 'closed' };
type Events = AccessRequestEvent[];

const isAdmin = (actor: Actor): boolean => actor.roles.includes('admin');

/** The grant id of an item's first (and, today, only) grant: stable across retries and replays. */
export const grantIdFor = (requestId: string, itemId: string): string => `${requestId}:${itemId}:1`;

export const decide = (command: AccessRequestCommand, state: AccessRequestState): Events => {
  if (command.type === 'SubmitAccessRequest') return submit(command, state);
  if (state.status === 'empty') {
    return fail('ACCESS_REQUEST.NOT_FOUND', 'there is no such access request', { command: command.type });
  }
  switch (command.type) {
    case 'CancelAccessRequest':
      return cancel(command, state);
    case 'ReleaseAccess':
      return release(command, state);
    case 'RevokeAccess':
      return revoke(command, state);
    case 'ExtendAccess':
      return extend(command, state);
    case 'RecordReview':
      return recordReview(command, state);
    case 'RecordProvisioningStarted':
      return recordProvisioningStarted(command, state);
    case 'RecordGrantSucceeded':
      return recordGrantSucceeded(command, state);
    case 'RecordGrantFailed':
      return recordGrantFailed(command, state);
    case 'RecordRevokeSucceeded':
      return recordRevokeSucceeded(command, state);
    case 'RecordRevokeFailed':
      return recordRevokeFailed(command, state);
    case 'RecordTimerFired':
      return recordTimerFired(command, state);
    case 'RecordReviewEscalation':
      return recordReviewEscalation(command, state);
    default:
      return assertNever(command, 'command');
  }
};

// Submission

const submit = ({ data, metadata }: SubmitAccessRequest, state: AccessRequestState): Events => {
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

// Helpers on items

const findItem = (state: Request, itemId: string): ItemState => {
  const item = state.items.find((candidate) => candidate.itemId === itemId);
  return item ?? fail('ACCESS_REQUEST.ITEM_NOT_FOUND', `item ${itemId} is not part of this request`, { itemId });
};

/** For redelivered internal messages: an unknown item is a message for someone else, not a crash. */
const itemOrNothing = (state: Request, itemId: string): ItemState | undefined =>
  state.items.find((candidate) => candidate.itemId === itemId);

const assertRequesterOrAdmin = (state: Request, actor: Actor): void => {
  if (actor.id !== state.requester.id && !isAdmin(actor)) {
    fail('ACCESS_REQUEST.FORBIDDEN', 'only the requester or an admin may do this', { actorId: actor.id });
  }
};

const revocationRequested = (
  state: Request,
  item: ItemState & { grant?: { grantId: string } },
  reason: RevocationReason,
  now: string,
  requestedBy?: string,
): RevocationRequested => ({
  type: 'RevocationRequested',
  data: {
    requestId: state.requestId,
    itemId: item.itemId,
    grantId: item.grant?.grantId ?? grantIdFor(state.requestId, item.itemId),
    reason,
    ...(requestedBy !== undefined ? { requestedBy } : {}),
    subject: state.requester,
    resourceId: item.resourceId,
    role: item.role,
    target: item.policy.target,
    requestedAt: now,
  },
});

const grantFor = (state: Request, item: ItemState, now: string): GrantRequested => ({
  type: 'GrantRequested',
  data: {
    requestId: state.requestId,
    itemId: item.itemId,
    grantId: grantIdFor(state.requestId, item.itemId),
    subject: state.requester,
    resourceId: item.resourceId,
    role: item.role,
    target: item.policy.target,
    duration: item.effectiveDuration,
    breakGlass: state.breakGlass,
    requestedAt: now,
  },
});

const isLiveAndCurrent = (item: ItemState, now: string): item is ItemOf<'active'> =>
  item.status === 'active' && compareInstants(item.grant.expiresAt, now) > 0;

// People's commands

const cancel = ({ data, metadata }: CancelAccessRequest, state: Request): Events => {
  assertRequesterOrAdmin(state, metadata.actor);
  const cancellable = (item: ItemState) =>
    item.status === 'awaiting_approval' || item.status === 'approved' || item.status === 'provisioning';
  const targets = data.itemIds ? data.itemIds.map((id) => findItem(state, id)) : state.items.filter(cancellable);
  const refused = targets.find((item) => !cancellable(item));
  if (refused || targets.length === 0) {
    return fail('ACCESS_REQUEST.NOT_PENDING', 'only items not yet granted can be cancelled', {
      itemId: refused?.itemId,
      status: refused?.status,
    });
  }
  return targets.flatMap((item): Events => {
    const cancelled: AccessRequestEvent = {
      type: 'ItemCancelled',
      data: {
        requestId: state.requestId,
        itemId: item.itemId,
        cancelledBy: metadata.actor.id,
        ...(data.reason !== undefined ? { reason: data.reason } : {}),
        cancelledAt: metadata.now,
      },
    };
    // A grant may already be on its way: the connector must undo it, whatever it did.
    const inFlight = (item.status === 'approved' || item.status === 'provisioning') && item.grant !== undefined;
    return inFlight
      ? [cancelled, revocationRequested(state, item, 'cancelled', metadata.now, metadata.actor.id)]
      : [cancelled];
  });
};

const release = ({ data, metadata }: ReleaseAccess, state: Request): Events => {
  assertRequesterOrAdmin(state, metadata.actor);
  const item = findItem(state, data.itemId);
  if (item.status !== 'active') {
    return fail('ACCESS_REQUEST.NOT_ACTIVE', `item ${item.itemId} has no active access to release`, {
      itemId: item.itemId,
      status: item.status,
    });
  }
  return [revocationRequested(state, item, 'released', metadata.now, metadata.actor.id)];
};

const revoke = ({ data, metadata }: RevokeAccess, state: Request): Events => {
  if (!isAdmin(metadata.actor)) {
    return fail('ACCESS_REQUEST.FORBIDDEN', 'only an admin may revoke access', { actorId: metadata.actor.id });
  }
  const item = findItem(state, data.itemId);
  const revocable =
    item.status === 'active' || ((item.status === 'approved' || item.status === 'provisioning') && item.grant);
  if (!revocable) {
    return fail('ACCESS_REQUEST.NOT_ACTIVE', `item ${item.itemId} has no grant to revoke`, {
      itemId: item.itemId,
      status: item.status,
    });
  }
  return [revocationRequested(state, item, 'revoked_by_admin', metadata.now, metadata.actor.id)];
};

const extend = ({ data, metadata }: ExtendAccess, state: Request): Events => {
  const { now, actor } = metadata;
  assertRequesterOrAdmin(state, actor);
  const item = findItem(state, data.itemId);
  if (!isLiveAndCurrent(item, now)) {
    return fail('ACCESS_REQUEST.NOT_ACTIVE', `item ${item.itemId} has no active access to extend`, {
      itemId: item.itemId,
      status: item.status,
    });
  }
  if (item.breakGlass) {
    return fail('ACCESS_REQUEST.NOT_EXTENDABLE', 'break-glass access cannot be extended; request access normally', {
      itemId: item.itemId,
    });
  }
  if (item.extension) {
    return fail('ACCESS_REQUEST.EXTENSION_PENDING', 'an extension of this item is already waiting for review', {
      extensionId: item.extension.extensionId,
    });
  }
  if ((data.extendTo === undefined) === (data.by === undefined)) {
    return fail('ACCESS_REQUEST.INVALID_EXTENSION', 'give exactly one of extendTo and by');
  }
  if (data.by !== undefined && !isDuration(data.by)) {
    return fail('ACCESS_REQUEST.INVALID_DURATION', 'by must be an ISO 8601 duration', { by: data.by });
  }
  if (data.extendTo !== undefined && Number.isNaN(Date.parse(data.extendTo))) {
    return fail('ACCESS_REQUEST.INVALID_EXTENSION', 'extendTo must be an ISO 8601 instant', {
      extendTo: data.extendTo,
    });
  }
  const current = item.grant.expiresAt;
  const expiresAt =
    data.extendTo !== undefined
      ? new Date(Date.parse(data.extendTo)).toISOString()
      : addDuration(current, data.by ?? 'PT0S');
  if (compareInstants(expiresAt, current) <= 0) {
    return fail('ACCESS_REQUEST.INVALID_EXTENSION', 'an extension must move the expiry later', {
      expiresAt: current,
      requested: expiresAt,
    });
  }
  const limit = addDuration(item.grant.grantedAt, item.policy.maxDuration);
  if (compareInstants(expiresAt, limit) > 0) {
    return fail('ACCESS_REQUEST.DURATION_EXCEEDED', `this access may last at most ${item.policy.maxDuration}`, {
      grantedAt: item.grant.grantedAt,
      maxDuration: item.policy.maxDuration,
      latestExpiry: limit,
    });
  }
  const approvalValid = compareInstants(item.approval.approvalExpiresAt, now) > 0;
  const needsReview = item.policy.steps.length > 0 && (item.policy.extensionRequiresApproval || !approvalValid);
  if (!needsReview) {
    return [
      {
        type: 'AccessExtended',
        data: {
          requestId: state.requestId,
          itemId: item.itemId,
          grantId: item.grant.grantId,
          via: 'policy',
          extensionId: data.extensionId,
          previousExpiresAt: current,
          expiresAt,
          extendedAt: now,
        },
      },
    ];
  }
  return [
    {
      type: 'ExtensionRequested',
      data: {
        requestId: state.requestId,
        itemId: item.itemId,
        grantId: item.grant.grantId,
        extensionId: data.extensionId,
        requestedBy: actor.id,
        currentExpiresAt: current,
        requestedExpiresAt: expiresAt,
        requestedAt: now,
      },
    },
  ];
};

// Reviews: whether the review may count and what it does are `canReview` and `resolveReview`'s
// answers (review-rules.ts), shared with the approval-policy service; this only writes the events.

const REFUSAL_ERRORS: Record<ReviewRefusalCode, AccessRequestErrorCode | 'raced'> = {
  SELF_REVIEW: 'ACCESS_REQUEST.SELF_REVIEW',
  OWN_ON_BEHALF_REQUEST: 'ACCESS_REQUEST.OWN_ON_BEHALF_REQUEST',
  REVIEWER_NOT_A_PERSON: 'ACCESS_REQUEST.NOT_ELIGIBLE',
  REVIEWER_INACTIVE: 'ACCESS_REQUEST.NOT_ELIGIBLE',
  REVIEWER_UNKNOWN: 'ACCESS_REQUEST.NOT_ELIGIBLE',
  // A review that lost the race against a decision, a timer or a revocation: nothing to record.
  ITEM_NOT_FOUND: 'raced',
  ITEM_NOT_REVIEWABLE: 'raced',
  APPROVAL_WINDOW_CLOSED: 'ACCESS_REQUEST.APPROVAL_WINDOW_CLOSED',
  NOT_ELIGIBLE_FOR_STEP: 'ACCESS_REQUEST.NOT_ELIGIBLE',
  NOT_RESOURCE_OWNER: 'ACCESS_REQUEST.NOT_ELIGIBLE',
  ALREADY_VOTED: 'ACCESS_REQUEST.ALREADY_REVIEWED',
  SEPARATION_OF_DUTIES: 'ACCESS_REQUEST.SEPARATION_OF_DUTIES',
  DURATION_INVALID: 'ACCESS_REQUEST.INVALID_DURATION',
  DURATION_LENGTHENED: 'ACCESS_REQUEST.DURATION_LENGTHENED',
};

const recordReview = (command: RecordReview, state: Request): Events => {
  const { data, metadata } = command;
  const item = itemOrNothing(state, data.itemId);
  if (!item || item.reviews.some((review) => review.reviewId === data.reviewId)) return [];
  const attempt = {
    reviewerId: data.reviewerId,
    itemId: data.itemId,
    decision: data.decision,
    ...(data.shortenDurationTo !== undefined ? { shortenDurationTo: data.shortenDurationTo } : {}),
    now: metadata.now,
  };
  const verdict = canReview(state, attempt);
  if (!verdict.ok) {
    const error = REFUSAL_ERRORS[verdict.code];
    return error === 'raced' ? [] : fail(error, verdict.message, { reviewerId: data.reviewerId, itemId: data.itemId });
  }
  const { round } = verdict;
  const recorded = reviewRecorded(command, state, round);
  const resolution = resolveReview(verdict, attempt);
  const now = metadata.now;
  const base = { requestId: state.requestId, itemId: item.itemId };
  switch (resolution.kind) {
    case 'vote_counted':
      return [recorded];
    case 'denied':
      return [
        recorded,
        {
          type: 'ItemDenied',
          data: {
            ...base,
            reviewId: data.reviewId,
            deniedBy: data.reviewerId,
            reason: data.comment?.trim() || `denied at step "${verdict.stepName}"`,
            deniedAt: now,
          },
        },
      ];
    case 'step_passed':
    case 'approved':
    case 'extension_step_passed':
    case 'extended': {
      if (round.kind === 'ratification') return [recorded];
      const passed: AccessRequestEvent = {
        type: 'ApprovalStepPassed',
        data: {
          ...base,
          step: round.step,
          stepName: verdict.stepName,
          approvedBy: [...resolution.approvedBy],
          ...(round.kind === 'extension' ? { extensionId: round.extensionId } : {}),
          passedAt: now,
        },
      };
      if (resolution.kind === 'step_passed' || resolution.kind === 'extension_step_passed') return [recorded, passed];
      if (resolution.kind === 'approved') {
        return [
          recorded,
          passed,
          {
            type: 'ItemApproved',
            data: {
              ...base,
              via: 'reviews',
              duration: resolution.duration,
              approvalExpiresAt: addDuration(now, item.policy.approvalValidity),
              approvedAt: now,
            },
          },
          grantFor(state, { ...item, effectiveDuration: resolution.duration }, now),
        ];
      }
      if (item.status !== 'active' || round.kind !== 'extension' || !item.extension) return [recorded, passed];
      return [
        recorded,
        passed,
        {
          type: 'AccessExtended',
          data: {
            ...base,
            grantId: item.grant.grantId,
            via: 'reviews',
            extensionId: round.extensionId,
            previousExpiresAt: item.grant.expiresAt,
            expiresAt: item.extension.requestedExpiresAt,
            extendedAt: now,
          },
        },
      ];
    }
    case 'extension_denied': {
      if (item.status !== 'active' || round.kind !== 'extension') return [recorded];
      return [
        recorded,
        {
          type: 'ExtensionDenied',
          data: {
            ...base,
            grantId: item.grant.grantId,
            extensionId: round.extensionId,
            reviewId: data.reviewId,
            deniedBy: data.reviewerId,
            reason: data.comment?.trim() || `extension denied at step "${verdict.stepName}"`,
            deniedAt: now,
          },
        },
      ];
    }
    case 'ratified':
      return [
        recorded,
        {
          type: 'BreakGlassRatified',
          data: { ...base, reviewId: data.reviewId, ratifiedBy: data.reviewerId, ratifiedAt: now },
        },
      ];
    case 'ratification_rejected':
      return [recorded, revocationRequested(state, item, 'break_glass_rejected', now, data.reviewerId)];
    default:
      return assertNever(resolution, 'review resolution');
  }
};

const reviewRecorded = (command: RecordReview, state: Request, round: ReviewRound): ReviewRecorded => {
  const d = command.data;
  const subject: ReviewRecorded['data']['subject'] = round.kind === 'ratification' ? 'break_glass_ratification' : round.kind;
  return {
    type: 'ReviewRecorded',
    data: {
      requestId: state.requestId,
      itemId: d.itemId,
      reviewId: d.reviewId,
      reviewerId: d.reviewerId,
      decision: d.decision,
      ...(d.comment !== undefined ? { comment: d.comment } : {}),
      ...(d.shortenDurationTo !== undefined && subject === 'approval' && d.decision === 'approve'
        ? { shortenDurationTo: d.shortenDurationTo }
        : {}),
      subject,
      step: round.kind === 'ratification' ? 0 : round.step,
      stepName: roundName(round),
      ...(round.kind === 'extension' ? { extensionId: round.extensionId } : {}),
      submittedAt: d.submittedAt,
      recordedAt: command.metadata.now,
    },
  };
};

// Provisioning results: anything not about the item's current grant in the expected state is a
// duplicate or arrived late, and is dropped without events.

const pendingGrant = (state: Request, itemId: string, grantId: string) => {
  const item = itemOrNothing(state, itemId);
  if (!item || (item.status !== 'approved' && item.status !== 'provisioning')) return undefined;
  return item.grant?.grantId === grantId ? { item, grant: item.grant } : undefined;
};

const recordProvisioningStarted = ({ data }: RecordProvisioningStarted, state: Request): Events => {
  const found = pendingGrant(state, data.itemId, data.grantId);
  if (!found || data.attempt <= found.grant.attempts) return [];
  return [
    {
      type: 'ProvisioningStarted',
      data: {
        requestId: state.requestId,
        itemId: data.itemId,
        grantId: data.grantId,
        attempt: data.attempt,
        ...(data.ticketId !== undefined ? { ticketId: data.ticketId } : {}),
        startedAt: data.at,
      },
    },
  ];
};

const recordGrantSucceeded = ({ data }: RecordGrantSucceeded, state: Request): Events => {
  const found = pendingGrant(state, data.itemId, data.grantId);
  if (!found) return [];
  const { item } = found;
  return [
    {
      type: 'AccessGranted',
      data: {
        requestId: state.requestId,
        itemId: item.itemId,
        grantId: data.grantId,
        subject: state.requester,
        resourceId: item.resourceId,
        role: item.role,
        breakGlass: state.breakGlass,
        verified: data.verified,
        ...(data.fulfilledBy !== undefined ? { fulfilledBy: data.fulfilledBy } : {}),
        ...(data.comment !== undefined ? { comment: data.comment } : {}),
        grantedAt: data.at,
        expiresAt: addDuration(data.at, item.effectiveDuration),
      },
    },
  ];
};

const recordGrantFailed = ({ data }: RecordGrantFailed, state: Request): Events => {
  const found = pendingGrant(state, data.itemId, data.grantId);
  if (!found || found.grant.failures.some((f) => f.attempt === data.attempt)) return [];
  return [
    {
      type: 'ProvisioningFailed',
      data: {
        requestId: state.requestId,
        itemId: data.itemId,
        grantId: data.grantId,
        attempt: data.attempt,
        reason: data.reason,
        final: data.final,
        ...(data.fulfilledBy !== undefined ? { fulfilledBy: data.fulfilledBy } : {}),
        ...(data.comment !== undefined ? { comment: data.comment } : {}),
        failedAt: data.at,
      },
    },
  ];
};

const revokingGrant = (state: Request, itemId: string, grantId: string) => {
  const item = itemOrNothing(state, itemId);
  return item?.status === 'revoking' && item.grant.grantId === grantId ? item : undefined;
};

const recordRevokeSucceeded = ({ data }: RecordRevokeSucceeded, state: Request): Events => {
  const item = revokingGrant(state, data.itemId, data.grantId);
  if (!item) return [];
  return [
    {
      type: 'AccessRevoked',
      data: {
        requestId: state.requestId,
        itemId: item.itemId,
        grantId: data.grantId,
        subject: state.requester,
        resourceId: item.resourceId,
        role: item.role,
        reason: item.revocation.reason,
        // `verified` only when the target was checked and the access is gone; a role kept for
        // other live grants says so, and a person's word says who gave it.
        verified: data.verified && (data.retainedBy === undefined || data.retainedBy.length === 0),
        ...(data.retainedBy !== undefined && data.retainedBy.length > 0 ? { retainedBy: data.retainedBy } : {}),
        ...(data.fulfilledBy !== undefined ? { fulfilledBy: data.fulfilledBy } : {}),
        ...(data.comment !== undefined ? { comment: data.comment } : {}),
        revokedAt: data.at,
      },
    },
  ];
};

const recordRevokeFailed = ({ data }: RecordRevokeFailed, state: Request): Events => {
  const item = revokingGrant(state, data.itemId, data.grantId);
  if (!item || item.revocation.failures.some((f) => f.attempt === data.attempt)) return [];
  return [
    {
      type: 'RevocationFailed',
      data: {
        requestId: state.requestId,
        itemId: item.itemId,
        grantId: data.grantId,
        attempt: data.attempt,
        reason: data.reason,
        final: data.final,
        failedAt: data.at,
      },
    },
  ];
};

// Timers: the state, not the timer, decides whether anything is due. A timer set for an older
// expiry (the access was extended since) or an older grant finds nothing to do.

const recordTimerFired = ({ data, metadata }: RecordTimerFired, state: Request): Events => {
  const { now } = metadata;
  const item = itemOrNothing(state, data.itemId);
  if (!item) return [];
  const due = (instant: string) => compareInstants(instant, now) <= 0;
  switch (data.kind) {
    case 'access_expiry': {
      if (item.status !== 'active' || !due(item.grant.expiresAt)) return [];
      if (data.grantId !== undefined && data.grantId !== item.grant.grantId) return [];
      return [
        {
          type: 'AccessExpired',
          data: {
            requestId: state.requestId,
            itemId: item.itemId,
            grantId: item.grant.grantId,
            expiresAt: item.grant.expiresAt,
            expiredAt: now,
          },
        },
        revocationRequested(state, item, 'expired', now),
      ];
    }
    case 'approval_expiry': {
      if ((item.status !== 'approved' && item.status !== 'provisioning') || !due(item.approval.approvalExpiresAt)) {
        return [];
      }
      const expired: AccessRequestEvent = {
        type: 'ApprovalExpired',
        data: {
          requestId: state.requestId,
          itemId: item.itemId,
          approvalExpiresAt: item.approval.approvalExpiresAt,
          expiredAt: now,
        },
      };
      return item.grant ? [expired, revocationRequested(state, item, 'approval_expired', now)] : [expired];
    }
    case 'pending_ttl': {
      if (item.status !== 'awaiting_approval' || !due(item.pendingExpiresAt)) return [];
      return [
        {
          type: 'ItemExpired',
          data: {
            requestId: state.requestId,
            itemId: item.itemId,
            pendingExpiresAt: item.pendingExpiresAt,
            expiredAt: now,
          },
        },
      ];
    }
    case 'break_glass_review': {
      const live = item.status === 'approved' || item.status === 'provisioning' || item.status === 'active';
      if (!live || !item.breakGlass || item.breakGlass.ratifiedBy || !due(item.breakGlass.ratifyBy)) return [];
      return [
        {
          type: 'BreakGlassRatificationMissed',
          data: {
            requestId: state.requestId,
            itemId: item.itemId,
            grantId: item.grant?.grantId ?? grantIdFor(state.requestId, item.itemId),
            ratifyBy: item.breakGlass.ratifyBy,
            missedAt: now,
          },
        },
        revocationRequested(state, item, 'break_glass_not_ratified', now),
      ];
    }
    default:
      return assertNever(data.kind, 'timer kind');
  }
};
