import type { AccessRequestEvent, ReviewRecorded } from '@kairos/contracts';
import type { RecordReview } from '../commands';
import { addDuration } from '../duration';
import { fail, type AccessRequestErrorCode } from '../errors';
import { canReview, resolveReview, roundName, type ReviewRefusalCode, type ReviewRound } from '../review-rules';
import { assertNever } from '../state';
import { grantFor, itemOrNothing, revocationRequested, type Events, type Request } from './shared';

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

export const recordReview = (command: RecordReview, state: Request): Events => {
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

