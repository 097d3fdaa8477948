import type { Request } from '../../domain/request-state';

/** The requester's requests with an item not yet ended, from this service's copy of requests. */
export interface UnfinishedRequests {
  unfinished(requesterId: string, terminalStatuses: readonly string[]): Promise<Request[]>;
}
