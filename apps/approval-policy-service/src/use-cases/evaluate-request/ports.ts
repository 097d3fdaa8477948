import type { LendableApproval } from '@kairos/access-request-domain';

/** Approvals a requester's earlier requests lend, still valid at `now` (from this service's copy of requests). */
export interface PriorApprovals {
  priorApprovals(identityId: string, now: Date): Promise<LendableApproval[]>;
}
