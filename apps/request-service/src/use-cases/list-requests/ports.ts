import type { AccessRequestView } from '@kairos/access-request-domain';

export interface ListFilter {
  readonly requester?: string;
  readonly status?: string;
  readonly resource?: string;
  readonly limit: number;
  readonly offset: number;
}

/** The PostgreSQL read model of requests, filtered and paged, newest first. */
export interface RequestList {
  list(filter: ListFilter): Promise<{ items: AccessRequestView[]; total: number }>;
}
