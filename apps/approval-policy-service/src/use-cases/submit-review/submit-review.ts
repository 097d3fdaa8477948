import { randomUUID } from 'node:crypto';
import { canReview, checkReviewerIdentity, roundKey } from '@kairos/access-request-domain';
import type { ReviewSubmitted } from '@kairos/contracts';
import type { Clock } from '@kairos/clock';
import { Refusal, refuse } from '@kairos/refusal';
import type { DirectoryReader } from '../../domain/directory-store';
import { afterPendingVotes } from '../../domain/pending-votes';
import { refusalKind } from '../../domain/review-refusals';
import type { AuthoritativeRequestSource, ReviewBallot } from './ports';

export interface SubmitReviewCommand {
  readonly requestId: string;
  readonly itemId: string;
  readonly reviewerId: string;
  /** The `kind` claim of the reviewer's token: a service credential never reviews. */
  readonly tokenKind?: 'person' | 'service';
  readonly decision: 'approve' | 'deny';
  readonly comment?: string;
  readonly shortenDurationTo?: string;
}

/**
 * Judges a review with the request domain's own rules (`checkReviewerIdentity` against today's
 * directory, `canReview` against the request's stream plus the votes accepted here) and sends
 * `ReviewSubmitted` through the outbox. The vote is remembered in the same transaction, so the same
 * person cannot vote twice before the stream records the first vote; the request decider still
 * re-checks with the same rules when it records.
 */
export class SubmitReview {
  constructor(
    private readonly ballot: ReviewBallot,
    private readonly requests: AuthoritativeRequestSource,
    private readonly directory: Pick<DirectoryReader, 'identity'>,
    private readonly clock: Clock,
  ) {}

  async execute(command: SubmitReviewCommand): Promise<{ reviewId: string; submittedAt: string }> {
    const refused = (code: Parameters<typeof refusalKind>[0], message: string) => new Refusal(refusalKind(code), code, message);

    const identity = await this.directory.identity(command.reviewerId);
    const notAPerson = checkReviewerIdentity(command.reviewerId, identity, command.tokenKind);
    if (notAPerson) throw refused(notAPerson.code, notAPerson.message);

    const request = await this.requests.load(command.requestId);
    if (!request) throw refuse.notFound('REQUEST_NOT_FOUND', `no request ${command.requestId}`);

    // One review of a request at a time; the ballot's unique vote per person and round settles any race left.
    return this.ballot.withRequestLock(command.requestId, async (tx) => {
      const votes = await tx.votes();
      const now = this.clock.now().toISOString();
      const attempt = {
        reviewerId: command.reviewerId,
        itemId: command.itemId,
        decision: command.decision,
        ...(command.shortenDurationTo !== undefined ? { shortenDurationTo: command.shortenDurationTo } : {}),
        now,
      };
      const verdict = canReview(afterPendingVotes(request, votes), attempt);
      if (!verdict.ok) throw refused(verdict.code, verdict.message);

      const reviewId = randomUUID();
      const recorded = await tx.recordVote({
        requestId: command.requestId,
        itemId: command.itemId,
        round: roundKey(verdict.round),
        reviewerId: command.reviewerId,
        reviewId,
        decision: command.decision,
        submittedAt: now,
      });
      if (!recorded) throw refused('ALREADY_VOTED', `${command.reviewerId} already reviewed this step`);

      const data: ReviewSubmitted['data'] = {
        requestId: command.requestId,
        itemId: command.itemId,
        reviewId,
        reviewerId: command.reviewerId,
        decision: command.decision,
        ...(command.comment !== undefined ? { comment: command.comment } : {}),
        ...(command.shortenDurationTo !== undefined && command.decision === 'approve'
          ? { shortenDurationTo: command.shortenDurationTo }
          : {}),
        submittedAt: now,
      };
      await tx.send({ id: reviewId, time: now, data });
      return { reviewId, submittedAt: now };
    });
  }
}
