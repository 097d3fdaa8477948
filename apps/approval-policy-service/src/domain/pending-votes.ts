import { decide, evolve, isAccessRequestError } from '@kairos/access-request-domain';
import type { AccessRequestEvent } from '@kairos/contracts';
import type { Request } from './request-state';

/** A vote accepted here whose `ReviewRecorded` may not be on the request's stream yet. */
export interface LocalVote {
  readonly itemId: string;
  /** `roundKey` of the round voted in. */
  readonly round: string;
  readonly reviewerId: string;
  readonly reviewId: string;
  readonly decision: 'approve' | 'deny';
  readonly submittedAt: string;
}

/** A local vote with the request it was given on, as this service keeps it. */
export interface StoredVote extends LocalVote {
  readonly requestId: string;
}

const SYSTEM = { id: 'system:approval-policy-service', roles: ['system'] } as const;

/**
 * The request as it will be once the votes this service already accepted are recorded: each one
 * not yet on the stream is run through the request decider itself, exactly as request-service
 * will record it. So the approver of step 2 is judged against step 2 even when step 1's approval,
 * given a few milliseconds earlier, has not reached the stream yet (read your writes), and one
 * person cannot vote twice (or on two steps) in that moment either.
 */
export function afterPendingVotes(request: Request, votes: readonly LocalVote[]): Request {
  const recorded = new Set(request.items.flatMap((item) => item.reviews.map((review) => review.reviewId)));
  let state: Request = request;
  const pending = votes.filter((vote) => !recorded.has(vote.reviewId)).sort((a, b) => (a.submittedAt < b.submittedAt ? -1 : 1));
  for (const vote of pending) {
    let events: AccessRequestEvent[];
    try {
      events = decide(
        {
          type: 'RecordReview',
          data: {
            requestId: request.requestId,
            itemId: vote.itemId,
            reviewId: vote.reviewId,
            reviewerId: vote.reviewerId,
            decision: vote.decision,
            submittedAt: vote.submittedAt,
          },
          metadata: { now: vote.submittedAt, actor: SYSTEM },
        },
        state,
      );
    } catch (error) {
      // The decider will refuse it too: it will never count, so it does not count here.
      if (isAccessRequestError(error)) continue;
      throw error;
    }
    const next = events.reduce(evolve, state as Parameters<typeof evolve>[0]);
    if (next.status !== 'empty') state = next;
  }
  return state;
}
