import type { LendableApproval } from '@kairos/access-request-domain';
import type { Request } from '../../domain/request-state';

/** This service's copy of requests, inside the transaction that receives the event. */
export interface RequestCopyTransaction {
  /** The copy of a request, locked until the transaction ends. */
  loadForUpdate(requestId: string): Promise<Request | undefined>;
  save(request: Request): Promise<void>;
  /** Keeps the lent approval of one item in step with `lendableApproval` (undefined removes it). */
  setLentApproval(requestId: string, itemId: string, approval: LendableApproval | undefined): Promise<void>;
}
