import type { Request } from '../../domain/request-state';
import type { StoredVote } from '../../domain/pending-votes';

/** This service's copy of requests, and the votes it accepted. */
export interface RequestCopy {
  /** Requests with an item that could still take a review. */
  open(): Promise<Request[]>;
  votes(requestIds: readonly string[]): Promise<StoredVote[]>;
  /** The requester's earlier requests that had an item on one of these resources, newest first. */
  history(requesterId: string, resourceIds: readonly string[]): Promise<Request[]>;
}

export interface ResourceNames {
  resourceNames(ids: readonly string[]): Promise<Map<string, string>>;
}
