import { refuse } from '@kairos/refusal';
import type { AuditReadModel, GrantInterval, ParkedEventList, TimelineEntry } from './ports';

/** What an auditor reads of the trail: a request's timeline, grants, holdings, parked events. */
export class QueryAudit {
  constructor(
    private readonly readModel: AuditReadModel,
    private readonly parkedEvents: ParkedEventList,
  ) {}

  /** Every event of a request, in stream order; refused when no event of it was recorded. */
  async timeline(requestId: string): Promise<{ requestId: string; events: TimelineEntry[] }> {
    const events = await this.readModel.timeline(requestId);
    if (events.length === 0) throw refuse.notFound('AUDIT.REQUEST_NOT_FOUND', `no recorded events for request ${requestId}`);
    return { requestId, events };
  }

  async activeGrants(): Promise<{ grants: GrantInterval[] }> {
    return { grants: await this.readModel.activeGrants() };
  }

  async accessAt(resourceId: string, at: Date): Promise<{ resourceId: string; at: string; grants: GrantInterval[] }> {
    return { resourceId, at: at.toISOString(), grants: await this.readModel.accessAt(resourceId, at) };
  }

  async holdings(identityId: string, from: Date, to: Date): Promise<{ identityId: string; from: string; to: string; grants: GrantInterval[] }> {
    return { identityId, from: from.toISOString(), to: to.toISOString(), grants: await this.readModel.holdings(identityId, from, to) };
  }

  async parked(limit: number, offset: number): Promise<{ total: number; limit: number; offset: number; events: readonly object[] }> {
    return { total: await this.parkedEvents.count(), limit, offset, events: await this.parkedEvents.list({ limit, offset }) };
  }
}
