import { addDuration, parseDuration } from './duration';
import type { ApprovalStepSnapshot, ItemPolicySnapshot } from './model';

export type ReviewDecision = 'approve' | 'reject';

/** Only the two `awaiting_*` statuses accept reviews; every other one is closed to them. */
export type ReviewItemStatus =
  'awaiting_approval' | 'awaiting_ratification' | 'approved' | 'rejected' | 'expired' | 'cancelled' | 'granted' | 'revoked';

export interface ReviewableItem {
  readonly itemId: string;
  /** The snapshot recorded at submission; reviews are checked against it, never today's policy. */
  readonly policy: ItemPolicySnapshot;
  /** Access duration requested (ISO 8601). */
  readonly duration: string;
  readonly status: ReviewItemStatus;
  readonly progress: {
    /** Index into `policy.steps` of the step now awaiting reviews. */
    readonly stepIndex: number;
    /** For each step, the ids of everyone who already reviewed it (approved or rejected). */
    readonly votes: readonly (readonly string[])[];
  };
  readonly submittedAt: string;
  /** When the item stops waiting; defaults to `submittedAt + policy.pendingTtl`. */
  readonly pendingUntil?: string;
  /** Present once a break-glass grant awaits ratification. */
  readonly breakGlass?: { readonly ratifyBy: string; readonly votes?: readonly string[] };
}

export interface ReviewableRequest {
  readonly requestId: string;
  readonly requesterId: string;
  readonly items: readonly ReviewableItem[];
}

export interface ReviewAttempt {
  readonly reviewerId: string;
  readonly request: ReviewableRequest;
  readonly itemId: string;
  readonly decision: ReviewDecision;
  /** An approver may shorten the access, never lengthen it (ISO 8601 duration). */
  readonly shortenDurationTo?: string;
  readonly now: string;
}

export const REVIEW_REFUSAL_CODES = [
  'SELF_REVIEW',
  'ITEM_NOT_REVIEWABLE',
  'APPROVAL_WINDOW_CLOSED',
  'NOT_ELIGIBLE_FOR_STEP',
  'NOT_RESOURCE_OWNER',
  'ALREADY_VOTED',
  'DURATION_INVALID',
  'DURATION_LENGTHENED',
] as const;
export type ReviewRefusalCode = (typeof REVIEW_REFUSAL_CODES)[number];

export type ReviewEligibility =
  | {
      readonly ok: true;
      /** `ratification` when the item was granted by break-glass and awaits its after-the-fact review. */
      readonly kind: 'approval' | 'ratification';
      readonly stepIndex: number;
      readonly stepName: string;
      readonly deadline: string;
    }
  | { readonly ok: false; readonly code: ReviewRefusalCode; readonly message: string };

/**
 * Whether `reviewerId` may review this item now. Eligibility only: the request decider counts the
 * reviews against the snapshot and moves the item.
 */
export function checkReview(attempt: ReviewAttempt): ReviewEligibility {
  const { reviewerId, request, itemId, now } = attempt;
  // Checked first and unconditionally: whatever the snapshot says, nobody reviews their own request.
  if (reviewerId === request.requesterId) return refuse('SELF_REVIEW', 'nobody may review their own request');

  const item = request.items.find((candidate) => candidate.itemId === itemId);
  if (!item) return refuse('ITEM_NOT_REVIEWABLE', `request ${request.requestId} has no item ${itemId}`);

  const eligibility = item.status === 'awaiting_ratification' ? ratification(reviewerId, item, now) : approval(reviewerId, item, now);
  if (!eligibility.ok) return eligibility;

  if (attempt.decision === 'approve' && attempt.shortenDurationTo !== undefined) {
    const shorter = parseDuration(attempt.shortenDurationTo);
    const requested = parseDuration(item.duration);
    if (shorter === undefined || shorter <= 0) {
      return refuse('DURATION_INVALID', `${attempt.shortenDurationTo} is not a positive ISO 8601 duration`);
    }
    if (requested === undefined || shorter > requested) {
      return refuse('DURATION_LENGTHENED', `an approver may shorten the requested ${item.duration}, not lengthen it`);
    }
  }
  return eligibility;
}

function approval(reviewerId: string, item: ReviewableItem, now: string): ReviewEligibility {
  if (item.status !== 'awaiting_approval') {
    return item.policy.steps.length === 0
      ? refuse('ITEM_NOT_REVIEWABLE', `item ${item.itemId} needs no human approval`)
      : refuse('APPROVAL_WINDOW_CLOSED', `item ${item.itemId} is ${item.status}, no longer awaiting approval`);
  }
  const stepIndex = item.progress.stepIndex;
  const step: ApprovalStepSnapshot | undefined = item.policy.steps[stepIndex];
  if (!step) return refuse('ITEM_NOT_REVIEWABLE', `item ${item.itemId} has no approval step ${stepIndex}`);

  const deadline = item.pendingUntil ?? addDuration(item.submittedAt, item.policy.pendingTtl);
  if (!before(now, deadline)) return refuse('APPROVAL_WINDOW_CLOSED', `approvals for item ${item.itemId} closed at ${deadline}`);

  if (!step.approvers.includes(reviewerId)) {
    return step.mode === 'resource_owner'
      ? refuse('NOT_RESOURCE_OWNER', `${reviewerId} does not own the resource of item ${item.itemId}`)
      : refuse('NOT_ELIGIBLE_FOR_STEP', `${reviewerId} is not an approver of step "${step.name}"`);
  }
  // One person counts once per step, so N-of-M always means N different people.
  if ((item.progress.votes[stepIndex] ?? []).includes(reviewerId)) {
    return refuse('ALREADY_VOTED', `${reviewerId} already reviewed step "${step.name}"`);
  }
  return { ok: true, kind: 'approval', stepIndex, stepName: step.name, deadline };
}

function ratification(reviewerId: string, item: ReviewableItem, now: string): ReviewEligibility {
  const breakGlass = item.breakGlass;
  if (!breakGlass || !item.policy.breakGlass.allowed) {
    return refuse('ITEM_NOT_REVIEWABLE', `item ${item.itemId} was not granted by break-glass`);
  }
  if (!before(now, breakGlass.ratifyBy)) {
    return refuse('APPROVAL_WINDOW_CLOSED', `ratification of item ${item.itemId} closed at ${breakGlass.ratifyBy}`);
  }
  if (!item.policy.breakGlass.ratifiers.includes(reviewerId)) {
    return refuse('NOT_ELIGIBLE_FOR_STEP', `${reviewerId} may not ratify break-glass on item ${item.itemId}`);
  }
  if ((breakGlass.votes ?? []).includes(reviewerId)) {
    return refuse('ALREADY_VOTED', `${reviewerId} already reviewed the break-glass grant of item ${item.itemId}`);
  }
  return { ok: true, kind: 'ratification', stepIndex: 0, stepName: 'break-glass ratification', deadline: breakGlass.ratifyBy };
}

export interface InboxEntry {
  readonly requestId: string;
  readonly requesterId: string;
  readonly itemId: string;
  readonly kind: 'approval' | 'ratification';
  readonly stepIndex: number;
  readonly stepName: string;
  readonly deadline: string;
}

/** The items `reviewerId` may review now: eligible for the current step and not yet voted on it. */
export function inboxFor(reviewerId: string, pendingRequests: readonly ReviewableRequest[], now: string): InboxEntry[] {
  return pendingRequests.flatMap((request) =>
    request.items.flatMap((item) => {
      const verdict = checkReview({ reviewerId, request, itemId: item.itemId, decision: 'approve', now });
      if (!verdict.ok) return [];
      const { kind, stepIndex, stepName, deadline } = verdict;
      return [{ requestId: request.requestId, requesterId: request.requesterId, itemId: item.itemId, kind, stepIndex, stepName, deadline }];
    }),
  );
}

function before(now: string, deadline: string): boolean {
  const at = Date.parse(now);
  const end = Date.parse(deadline);
  if (Number.isNaN(at) || Number.isNaN(end)) throw new RangeError(`not an instant: ${Number.isNaN(at) ? now : deadline}`);
  return at < end;
}

function refuse(code: ReviewRefusalCode, message: string): ReviewEligibility {
  return { ok: false, code, message };
}
