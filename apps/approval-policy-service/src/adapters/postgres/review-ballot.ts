import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { enqueueOutbox } from '@kairos/messaging';
import { currentCorrelationId } from '@kairos/observability';
import type { ReviewBallot, ReviewTransaction } from '../../use-cases/submit-review/ports';
import { RequestEventsInbox } from '../kafka/request-events.inbox';
import { RequestViewsRepository } from './request-views.repository';

export const SOURCE = 'urn:kairos:approval-policy-service';

/**
 * The votes accepted here and the outbox that sends them, in one transaction per review: a
 * transaction-level advisory lock serialises the reviews of one request (the primary key of
 * review_votes settles any race left), and the relay is woken once the transaction has committed.
 */
@Injectable()
export class PostgresReviewBallot implements ReviewBallot {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly views: RequestViewsRepository,
    private readonly requestEvents: RequestEventsInbox,
  ) {}

  async withRequestLock<T>(requestId: string, work: (tx: ReviewTransaction) => Promise<T>): Promise<T> {
    const result = await this.dataSource.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`review:${requestId}`]);
      return work({
        votes: () => this.views.votes([requestId], tx),
        recordVote: (vote) => this.views.recordVote(tx, vote),
        send: async ({ id, time, data }) => {
          const correlationId = currentCorrelationId();
          await enqueueOutbox(tx, [
            {
              topic: TOPICS.approvalDecisions,
              key: data.requestId,
              id,
              type: 'ReviewSubmitted',
              subject: data.requestId,
              time,
              source: SOURCE,
              data,
              ...(correlationId ? { correlationId } : {}),
            },
          ]);
        },
      });
    });
    // Reviews are queued in the outbox by their own transaction; this sends them now.
    this.requestEvents.notifyOutbox();
    return result;
  }
}
