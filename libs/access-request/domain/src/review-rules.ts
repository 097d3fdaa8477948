import type { ApprovalStepSnapshot, ItemPolicySnapshot, ReviewDecision, ReviewSubjectKind } from '@kairos/contracts';
import { compareDurations, compareInstants, isDuration, isZeroDuration } from './duration';
import type { ItemState, RecordedReview, RequestDetails } from './state';

/**
 * The one place that answers "may this person review this item now" (`canReview`) and "what does
 * this review do" (`resolveReview`), and which approvals a later request may reuse
 * (`lendableApproval`, `reuseApplies`). The request decider, the approval-policy service (its
 * review endpoint and its inboxes) and every front door import these; nobody re-implements them.
 * Modelled on Teleport's `CanReviewRequest` + `calculateReviewBasedResolution` pair.
 */

/** What an item accepts a review for right now. */
export type ReviewRound =
  | { readonly kind: 'approval'; readonly step: number; readonly snapshot: ApprovalStepSnapshot; readonly deadline: string }
  | {
      readonly kind: 'extension';
      readonly extensionId: string;
      readonly step: number;
      readonly snapshot: ApprovalStepSnapshot;
      readonly deadline: string;
    }
  | { readonly kind: 'ratification'; readonly ratifiers: readonly string[]; readonly deadline: string };

export const BREAK_GLASS_STEP_NAME = 'break-glass ratification';

export const roundName = (round: ReviewRound): string =>
  round.kind === 'ratification' ? BREAK_GLASS_STEP_NAME : round.snapshot.name;

/** A stable key per round: one person votes once per round. */
export const roundKey = (round: ReviewRound): string => {
  switch (round.kind) {
    case 'approval':
      return `approval:${round.step}`;
    case 'extension':
      return `extension:${round.extensionId}:${round.step}`;
    case 'ratification':
      return 'ratification';
  }
};

const subjectOf = (round: ReviewRound): ReviewSubjectKind =>
  round.kind === 'ratification' ? 'break_glass_ratification' : round.kind;

/** The round an item is in, from the stream alone (deadlines are checked by `canReview`). */
export const openRound = (item: ItemState): ReviewRound | undefined => {
  if (item.status === 'awaiting_approval') {
    const snapshot = item.policy.steps[item.step];
    return snapshot ? { kind: 'approval', step: item.step, snapshot, deadline: item.pendingExpiresAt } : undefined;
  }
  if (item.status === 'active' && item.extension) {
    const snapshot = item.policy.steps[item.extension.step];
    if (snapshot) {
      return {
        kind: 'extension',
        extensionId: item.extension.extensionId,
        step: item.extension.step,
        snapshot,
        // Reviews of an extension are only useful while the current grant lasts.
        deadline: item.grant.expiresAt,
      };
    }
  }
  const live = item.status === 'approved' || item.status === 'provisioning' || item.status === 'active';
  if (live && item.breakGlass && !item.breakGlass.ratifiedBy && !item.breakGlass.missed) {
    return { kind: 'ratification', ratifiers: item.breakGlass.ratifiers, deadline: item.breakGlass.ratifyBy };
  }
  return undefined;
};

export const REVIEW_REFUSAL_CODES = [
  /** The reviewer is the requester. */
  'SELF_REVIEW',
  /** The reviewer raised the request on someone else's behalf. */
  'OWN_ON_BEHALF_REQUEST',
  /** Only active people in the directory review. */
  'REVIEWER_NOT_A_PERSON',
  'REVIEWER_INACTIVE',
  'REVIEWER_UNKNOWN',
  'ITEM_NOT_FOUND',
  /** The item takes no review now (decided, granted without a pending extension, ended). */
  'ITEM_NOT_REVIEWABLE',
  'APPROVAL_WINDOW_CLOSED',
  'NOT_ELIGIBLE_FOR_STEP',
  'NOT_RESOURCE_OWNER',
  'ALREADY_VOTED',
  /** The reviewer already approved an earlier step of the same item. */
  'SEPARATION_OF_DUTIES',
  'DURATION_INVALID',
  'DURATION_LENGTHENED',
] as const;
export type ReviewRefusalCode = (typeof REVIEW_REFUSAL_CODES)[number];

export interface ReviewRefusal {
  readonly ok: false;
  readonly code: ReviewRefusalCode;
  readonly message: string;
}

export interface ReviewAllowed {
  readonly ok: true;
  readonly item: ItemState;
  readonly round: ReviewRound;
  readonly stepName: string;
}

export type ReviewVerdict = ReviewAllowed | ReviewRefusal;

export interface ReviewAttempt {
  readonly reviewerId: string;
  readonly itemId: string;
  readonly decision: ReviewDecision;
  /** An approver may shorten the access, never lengthen it (ISO 8601 duration). */
  readonly shortenDurationTo?: string;
  /** The reviewer's clock (ISO 8601). */
  readonly now: string;
}

const refuse = (code: ReviewRefusalCode, message: string): ReviewRefusal => ({ ok: false, code, message });

/** The reviews cast in a round, in the order recorded. */
export const reviewsOfRound = (item: ItemState, round: ReviewRound): RecordedReview[] =>
  item.reviews.filter((review) => {
    if (review.subject !== subjectOf(round)) return false;
    switch (round.kind) {
      case 'approval':
        return review.step === round.step;
      case 'extension':
        return review.extensionId === round.extensionId && review.step === round.step;
      case 'ratification':
        return true;
    }
  });

/** Earlier steps of the same round (the approval, or the same extension) this reviewer voted on. */
const votedOnEarlierStep = (item: ItemState, round: ReviewRound, reviewerId: string): RecordedReview | undefined => {
  if (round.kind === 'ratification') return undefined;
  return item.reviews.find(
    (review) =>
      review.reviewerId === reviewerId &&
      review.subject === round.kind &&
      review.step < round.step &&
      (round.kind === 'approval' || review.extensionId === round.extensionId),
  );
};

export const separationOfDutiesApplies = (policy: ItemPolicySnapshot): boolean => policy.separationOfDuties !== false;

/**
 * Whether `attempt.reviewerId` may review the item now, judged on the request's stream alone.
 * Who the reviewer is in today's directory is `checkReviewerIdentity`'s question.
 */
export const canReview = (request: RequestDetails, attempt: ReviewAttempt): ReviewVerdict => {
  const { reviewerId, now } = attempt;
  // First and unconditional: whatever the snapshot says, nobody vouches for themselves.
  if (reviewerId === request.requester.id) return refuse('SELF_REVIEW', 'nobody may review their own request');
  if (request.onBehalf && reviewerId === request.requestedBy) {
    return refuse('OWN_ON_BEHALF_REQUEST', 'nobody may review a request they raised on behalf of someone else');
  }
  const item = request.items.find((candidate) => candidate.itemId === attempt.itemId);
  if (!item) return refuse('ITEM_NOT_FOUND', `request ${request.requestId} has no item ${attempt.itemId}`);

  const round = openRound(item);
  if (!round) {
    return item.policy.steps.length === 0 && !item.breakGlass
      ? refuse('ITEM_NOT_REVIEWABLE', `item ${item.itemId} needs no human approval`)
      : refuse('ITEM_NOT_REVIEWABLE', `item ${item.itemId} is ${item.status} and awaits no review`);
  }
  if (compareInstants(now, round.deadline) >= 0) {
    // An extension of access that has already ended is moot: the expiry, not a refusal, ends it.
    return round.kind === 'extension'
      ? refuse('ITEM_NOT_REVIEWABLE', `the access extension ${round.extensionId} would lengthen ended at ${round.deadline}`)
      : refuse('APPROVAL_WINDOW_CLOSED', `reviews of item ${item.itemId} closed at ${round.deadline}`);
  }
  const eligible = round.kind === 'ratification' ? round.ratifiers : round.snapshot.approvers;
  if (!eligible.includes(reviewerId)) {
    if (round.kind === 'ratification') {
      return refuse('NOT_ELIGIBLE_FOR_STEP', `${reviewerId} may not ratify the break-glass access of item ${item.itemId}`);
    }
    return round.snapshot.mode === 'resource_owner'
      ? refuse('NOT_RESOURCE_OWNER', `${reviewerId} does not own the resource of item ${item.itemId}`)
      : refuse('NOT_ELIGIBLE_FOR_STEP', `${reviewerId} is not an approver of step "${round.snapshot.name}"`);
  }
  // One person counts once per round, so N-of-M always means N different people.
  if (reviewsOfRound(item, round).some((review) => review.reviewerId === reviewerId)) {
    return refuse('ALREADY_VOTED', `${reviewerId} already reviewed "${roundName(round)}" of item ${item.itemId}`);
  }
  const earlier = votedOnEarlierStep(item, round, reviewerId);
  if (earlier && separationOfDutiesApplies(item.policy)) {
    return refuse(
      'SEPARATION_OF_DUTIES',
      `${reviewerId} already reviewed step ${earlier.step + 1} of item ${item.itemId}; each step needs a different person`,
    );
  }
  if (attempt.decision === 'approve' && attempt.shortenDurationTo !== undefined && round.kind === 'approval') {
    const shorter = attempt.shortenDurationTo;
    if (!isDuration(shorter) || isZeroDuration(shorter)) {
      return refuse('DURATION_INVALID', `${shorter} is not a positive ISO 8601 duration`);
    }
    if (compareDurations(shorter, item.effectiveDuration, now) > 0) {
      return refuse('DURATION_LENGTHENED', `an approver may shorten the requested ${item.effectiveDuration}, not lengthen it`);
    }
  }
  return { ok: true, item, round, stepName: roundName(round) };
};

/** What the directory says about a reviewer at the moment of the review. */
export interface ReviewerIdentity {
  readonly kind: 'person' | 'service';
  readonly active: boolean;
}

/**
 * Only active people review. The directory is asked as it is when the review is made (a manager
 * deactivated since the submission no longer approves), and a token's own `kind` claim can only
 * narrow this: a service credential never reviews, whatever the directory says of its subject.
 */
export const checkReviewerIdentity = (
  reviewerId: string,
  identity: ReviewerIdentity | undefined,
  tokenKind: 'person' | 'service' | undefined,
): ReviewRefusal | undefined => {
  if (!identity) return refuse('REVIEWER_UNKNOWN', `${reviewerId} is not in the directory`);
  if (!identity.active) return refuse('REVIEWER_INACTIVE', `${reviewerId} is not active in the directory`);
  if (identity.kind !== 'person' || tokenKind === 'service') {
    return refuse('REVIEWER_NOT_A_PERSON', 'only people review access; a service account never does');
  }
  return undefined;
};

/** What a review allowed by `canReview` does to its item. */
export type ReviewResolution =
  | { readonly kind: 'vote_counted' }
  | { readonly kind: 'step_passed'; readonly approvedBy: readonly string[] }
  | { readonly kind: 'approved'; readonly approvedBy: readonly string[]; readonly duration: string }
  | { readonly kind: 'denied' }
  | { readonly kind: 'extended'; readonly approvedBy: readonly string[] }
  | { readonly kind: 'extension_step_passed'; readonly approvedBy: readonly string[] }
  | { readonly kind: 'extension_denied' }
  | { readonly kind: 'ratified' }
  | { readonly kind: 'ratification_rejected' };

/** Counts the review against the round's snapshot: the step passes with `required` distinct approvals. */
export const resolveReview = (allowed: ReviewAllowed, attempt: ReviewAttempt): ReviewResolution => {
  const { item, round } = allowed;
  if (round.kind === 'ratification') return attempt.decision === 'approve' ? { kind: 'ratified' } : { kind: 'ratification_rejected' };
  if (attempt.decision === 'deny') return round.kind === 'approval' ? { kind: 'denied' } : { kind: 'extension_denied' };
  const approvedBy = [
    ...reviewsOfRound(item, round)
      .filter((review) => review.decision === 'approve')
      .map((review) => review.reviewerId),
    attempt.reviewerId,
  ];
  if (approvedBy.length < round.snapshot.required) return { kind: 'vote_counted' };
  const last = round.step + 1 >= item.policy.steps.length;
  if (round.kind === 'extension') return last ? { kind: 'extended', approvedBy } : { kind: 'extension_step_passed', approvedBy };
  if (!last) return { kind: 'step_passed', approvedBy };
  const duration = attempt.shortenDurationTo ?? item.effectiveDuration;
  return { kind: 'approved', approvedBy, duration };
};

/** An approval a later request of the same person for the same resource and role may reuse. */
export interface LendableApproval {
  readonly requestId: string;
  readonly itemId: string;
  readonly identityId: string;
  readonly resourceId: string;
  readonly role: string;
  readonly approvalExpiresAt: string;
  /** The access duration the approvers agreed to; a reuse grants at most this. */
  readonly approvedDuration: string;
}

/**
 * Whether an item's approval may be lent to a later request (the "two clocks"): only an approval
 * people gave (or a reuse of one, which keeps its original end and duration), and only while the
 * item is live or its access ended by expiry. A released, revoked, cancelled, denied, failed or
 * break-glass item never lends its approval, nor does an automatic one.
 */
export const lendableApproval = (request: RequestDetails, itemId: string, now?: string): LendableApproval | undefined => {
  const item = request.items.find((candidate) => candidate.itemId === itemId);
  if (!item || item.breakGlass || request.breakGlass) return undefined;
  const live = item.status === 'approved' || item.status === 'provisioning' || item.status === 'active';
  const endedByExpiry =
    (item.status === 'expired' && item.expiredBy === 'access_expired') ||
    (item.status === 'revoking' && item.revocation.reason === 'expired');
  if (!live && !endedByExpiry) return undefined;
  const approval = 'approval' in item ? item.approval : undefined;
  if (!approval || (approval.via !== 'reviews' && approval.via !== 'reused_approval')) return undefined;
  // Without `now` the approval is lent whatever its end; whoever picks it checks the time.
  if (now !== undefined && compareInstants(approval.approvalExpiresAt, now) <= 0) return undefined;
  return {
    requestId: request.requestId,
    itemId: item.itemId,
    identityId: request.requester.id,
    resourceId: item.resourceId,
    role: item.role,
    approvalExpiresAt: approval.approvalExpiresAt,
    approvedDuration: item.effectiveDuration,
  };
};

/**
 * The reuse a new item may claim among the lent approvals: same person, resource and role, still
 * valid, and asking for no longer than the people approved. The latest-ending one wins.
 */
export const pickReusableApproval = (
  lent: readonly LendableApproval[],
  wanted: { readonly identityId: string; readonly resourceId: string; readonly role: string; readonly duration: string },
  now: string,
): LendableApproval | undefined => {
  const candidates = lent.filter(
    (prior) =>
      prior.identityId === wanted.identityId &&
      prior.resourceId === wanted.resourceId &&
      prior.role === wanted.role &&
      compareInstants(prior.approvalExpiresAt, now) > 0 &&
      isDuration(wanted.duration) &&
      compareDurations(wanted.duration, prior.approvedDuration, now) <= 0,
  );
  if (candidates.length === 0) return undefined;
  return candidates.reduce((a, b) => {
    const diff = compareInstants(b.approvalExpiresAt, a.approvalExpiresAt);
    return diff > 0 || (diff === 0 && b.requestId < a.requestId) ? b : a;
  });
};

/**
 * Whether a snapshot's recorded reuse still applies at submission: still valid, and the request
 * asks for no more than was approved. When it does not, the item waits for its steps.
 */
export const reuseApplies = (policy: ItemPolicySnapshot, duration: string, now: string): boolean => {
  const reused = policy.reusesApproval;
  if (!reused || compareInstants(reused.approvalExpiresAt, now) <= 0) return false;
  if (reused.approvedDuration === undefined) return false;
  return compareDurations(duration, reused.approvedDuration, now) <= 0;
};
