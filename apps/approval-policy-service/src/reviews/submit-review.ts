import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { checkReview } from '@kairos/approval-policy-domain';
import { TOPICS, type ReviewSubmitted } from '@kairos/contracts';
import { ProblemError } from '@kairos/http';
import { enqueueOutbox } from '@kairos/messaging';
import { currentCorrelationId } from '@kairos/observability';
import { RequestEventsConsumer } from '../read-model/request-events.consumer';
import { RequestViewsRepository } from '../read-model/request-views.repository';
import { CLOCK, type Clock } from '../shared/clock';
import { refusalStatus } from './refusals';
import { roundKey, roundOf, toReviewable } from './reviewable';

export const SOURCE = 'urn:kairos:approval-policy-service';

export interface SubmitReviewCommand {
  readonly requestId: string;
  readonly itemId: string;
  readonly reviewerId: string;
  readonly decision: 'approve' | 'deny';
  readonly comment?: string;
  readonly shortenDurationTo?: string;
}

/**
 * Checks eligibility against the read copy and sends `ReviewSubmitted` through the outbox. The vote
 * is remembered here in the same transaction, so the same person cannot vote twice before the
 * request stream records the first vote; the request decider still counts and re-checks.
 */
@Injectable()
export class SubmitReview {
  constructor(
    private readonly views: RequestViewsRepository,
    private readonly requestEvents: RequestEventsConsumer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: SubmitReviewCommand): Promise<{ reviewId: string; submittedAt: string }> {
    const result = await this.views.transaction(async (tx) => {
      // The row lock orders concurrent reviews of one request against each other and the consumer.
      const view = await this.views.load(tx, command.requestId, true);
      if (!view) throw new ProblemError(404, 'REQUEST_NOT_FOUND', 'Not Found', `no request ${command.requestId} is known here (yet)`);
      const votes = await this.views.votes([command.requestId], tx);
      const now = this.clock.now().toISOString();
      const verdict = checkReview({
        reviewerId: command.reviewerId,
        request: toReviewable(view, votes),
        itemId: command.itemId,
        decision: command.decision === 'approve' ? 'approve' : 'reject',
        ...(command.shortenDurationTo !== undefined ? { shortenDurationTo: command.shortenDurationTo } : {}),
        now,
      });
      if (!verdict.ok) throw new ProblemError(refusalStatus(verdict.code), verdict.code, 'Review refused', verdict.message);

      const item = view.items.find((candidate) => candidate.itemId === command.itemId);
      if (!item) throw new ProblemError(409, 'ITEM_NOT_REVIEWABLE', 'Review refused', `no item ${command.itemId}`);
      const reviewId = randomUUID();
      const recorded = await this.views.recordVote(tx, {
        requestId: command.requestId,
        itemId: command.itemId,
        round: roundKey(roundOf(item)),
        reviewerId: command.reviewerId,
        reviewId,
        decision: command.decision,
        submittedAt: now,
      });
      if (!recorded) throw new ProblemError(409, 'ALREADY_VOTED', 'Review refused', `${command.reviewerId} already reviewed this step`);

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
