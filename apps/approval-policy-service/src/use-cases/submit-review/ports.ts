import type { ReviewSubmitted } from '@kairos/contracts';
import type { StoredVote } from '../../domain/pending-votes';
import type { Request } from '../../domain/request-state';

/** A request as its own stream says it is now. */
export interface AuthoritativeRequestSource {
  load(requestId: string): Promise<Request | undefined>;
}

/** What a review does inside the transaction that holds the request's review lock. */
export interface ReviewTransaction {
  votes(): Promise<StoredVote[]>;
  /** False when this person already voted in this round. */
  recordVote(vote: StoredVote): Promise<boolean>;
  /** Queues `ReviewSubmitted` for request-service, sent once the transaction commits. */
  send(review: { readonly id: string; readonly time: string; readonly data: ReviewSubmitted['data'] }): Promise<void>;
}

/** Runs `work` in one transaction, one review of a request at a time. */
export interface ReviewBallot {
  withRequestLock<T>(requestId: string, work: (tx: ReviewTransaction) => Promise<T>): Promise<T>;
}
