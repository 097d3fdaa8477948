import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { canReview, checkReviewerIdentity, roundKey } from '@kairos/access-request-domain';
import { TOPICS, type ReviewSubmitted } from '@kairos/contracts';
import { Refusal, refuse } from '@kairos/refusal';
import { enqueueOutbox } from '@kairos/messaging';
import { currentCorrelationId } from '@kairos/observability';
import { DirectoryRepository } from '../directory/directory.repository';
import { AuthoritativeRequests } from '../read-model/authoritative-requests';
import { RequestEventsConsumer } from '../read-model/request-events.consumer';
import { RequestViewsRepository } from '../read-model/request-views.repository';
import { CLOCK, type Clock } from '../shared/clock';
import { afterPendingVotes } from './pending-votes';
import { refusalKind } from './refusals';

export const SOURCE = 'urn:kairos:approval-policy-service';

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
@Injectable()
export class SubmitReview {
  constructor(
    private readonly views: RequestViewsRepository,
    private readonly requests: AuthoritativeRequests,
    private readonly directory: DirectoryRepository,
    private readonly requestEvents: RequestEventsConsumer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: SubmitReviewCommand): Promise<{ reviewId: string; submittedAt: string }> {
    const refused = (code: Parameters<typeof refusalKind>[0], message: string) => new Refusal(refusalKind(code), code, message);

    const identity = await this.directory.identity(command.reviewerId);
    const notAPerson = checkReviewerIdentity(command.reviewerId, identity, command.tokenKind);
    if (notAPerson) throw refused(notAPerson.code, notAPerson.message);

    const request = await this.requests.load(command.requestId);
    if (!request) throw refuse.notFound('REQUEST_NOT_FOUND', `no request ${command.requestId}`);

    const result = await this.views.transaction(async (tx) => {
      // Serializes votes on one request here; the primary key of review_votes settles any race left.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`review:${command.requestId}`]);
      const votes = await this.views.votes([command.requestId], tx);
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
      const recorded = await this.views.recordVote(tx, {
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
      const correlationId = currentCorrelationId();
      await enqueueOutbox(tx, [
        {
          topic: TOPICS.approvalDecisions,
          key: command.requestId,
          id: reviewId,
          type: 'ReviewSubmitted',
          subject: command.requestId,
          time: now,
          source: SOURCE,
          data,
          ...(correlationId ? { correlationId } : {}),
        },
      ]);
      return { reviewId, submittedAt: now };
    });
    this.requestEvents.notifyOutbox();
    return result;
  }
}
