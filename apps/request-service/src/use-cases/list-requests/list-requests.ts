import type { AccessRequestView } from '@kairos/access-request-domain';
import type { Principal } from '@kairos/auth';
import { forbidden, seesAll } from '../../domain/access';
import type { ListFilter, RequestList } from './ports';

export interface RequestPage {
  readonly items: AccessRequestView[];
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
}

/** Requests from the read model: requesters list only their own, admins and auditors all. */
export class ListRequests {
  constructor(private readonly readModel: RequestList) {}

  async execute(principal: Principal, filter: ListFilter): Promise<RequestPage> {
    if (!seesAll(principal)) {
      if (filter.requester && filter.requester !== principal.id) throw forbidden('requesters may list only their own requests');
      filter = { ...filter, requester: principal.id };
    }
    return { ...(await this.readModel.list(filter)), limit: filter.limit, offset: filter.offset };
  }
}
