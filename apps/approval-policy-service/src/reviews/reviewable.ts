import type { ReviewableItem, ReviewableRequest, ReviewItemStatus } from '@kairos/approval-policy-domain';
import { assertNever, type ItemView, type RequestView } from '../read-model/request-view';

/** What an item currently accepts a review for. */
export type ReviewRound =
  | { readonly kind: 'approval'; readonly step: number }
  | { readonly kind: 'ratification' }
  | { readonly kind: 'extension'; readonly extensionId: string; readonly step: number }
  | { readonly kind: 'none' };

export function roundOf(item: ItemView): ReviewRound {
  if (item.status === 'awaiting_approval') return { kind: 'approval', step: item.stepIndex };
  if (item.status === 'active' && item.extension) {
    return { kind: 'extension', extensionId: item.extension.extensionId, step: item.extension.stepIndex };
  }
  if ((item.status === 'approved' || item.status === 'active') && item.breakGlass?.outcome === 'pending') return { kind: 'ratification' };
  return { kind: 'none' };
}

/** A stable key per round, so one person votes once per round even before the stream records it. */
export function roundKey(round: ReviewRound): string {
  switch (round.kind) {
    case 'approval':
      return `approval:${round.step}`;
    case 'ratification':
      return 'ratification';
    case 'extension':
      return `extension:${round.extensionId}:${round.step}`;
    case 'none':
      return 'none';
    default:
      return assertNever(round);
  }
}

export interface LocalVote {
  readonly itemId: string;
  readonly round: string;
  readonly reviewerId: string;
}

/**
 * The read copy as `checkReview` sees it, with the votes accepted here but not yet recorded on the
 * stream counted as cast.
 */
export function toReviewable(view: RequestView, localVotes: readonly LocalVote[]): ReviewableRequest {
  return {
    requestId: view.requestId,
    requesterId: view.requester.id,
    items: view.items.map((item) => reviewableItem(view, item, localVotes)),
  };
}

function reviewableItem(view: RequestView, item: ItemView, localVotes: readonly LocalVote[]): ReviewableItem {
  const round = roundOf(item);
  const local = localVotes.filter((vote) => vote.itemId === item.itemId && vote.round === roundKey(round)).map((vote) => vote.reviewerId);
  const base = { itemId: item.itemId, policy: item.policy, duration: item.duration, submittedAt: view.requestedAt };
  switch (round.kind) {
    case 'approval':
      return {
        ...base,
        status: 'awaiting_approval',
        pendingUntil: item.pendingExpiresAt,
        progress: { stepIndex: round.step, votes: addAt(item.votes, round.step, local) },
      };
    case 'extension': {
      const extension = item.extension;
      if (!extension) throw new Error('extension round without an extension');
      return {
        ...base,
        status: 'awaiting_approval',
        pendingUntil: extension.until,
        progress: { stepIndex: round.step, votes: addAt(extension.votes, round.step, local) },
      };
    }
    case 'ratification': {
      const breakGlass = item.breakGlass;
      if (!breakGlass) throw new Error('ratification round without break-glass');
      return {
        ...base,
        status: 'awaiting_ratification',
        progress: { stepIndex: item.stepIndex, votes: item.votes },
        breakGlass: { ratifyBy: breakGlass.ratifyBy, votes: [...new Set([...breakGlass.votes, ...local])] },
      };
    }
    case 'none':
      return { ...base, status: closedStatus(item), progress: { stepIndex: item.stepIndex, votes: item.votes } };
    default:
      return assertNever(round);
  }
}

function closedStatus(item: ItemView): ReviewItemStatus {
  switch (item.status) {
    case 'awaiting_approval':
      return 'awaiting_approval';
    case 'approved':
      return 'approved';
    case 'active':
      return 'granted';
    case 'denied':
      return 'rejected';
    case 'expired':
      return 'expired';
    case 'cancelled':
      return 'cancelled';
    case 'revoking':
    case 'revoked':
    case 'failed':
      return 'revoked';
    default:
      return assertNever(item.status);
  }
}

function addAt(votes: readonly (readonly string[])[], step: number, extra: readonly string[]): string[][] {
  const next = votes.map((list) => [...list]);
  while (next.length <= step) next.push([]);
  next[step] = [...new Set([...(next[step] ?? []), ...extra])];
  return next;
}
