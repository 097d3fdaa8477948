import type { AccessRequestView } from '@kairos/access-request-domain';
import type { Principal } from '@kairos/auth';
import { refuse } from '@kairos/refusal';
import { forbidden, notFound, ownsRequest, seesAll } from '../../domain/access';
import type { RequestStreams } from '../../domain/ports';
import type { HistoryEntry, ReadModelProgress, RequestReadModel } from './ports';

export type RequestDetail = AccessRequestView & { history: HistoryEntry[] };

/**
 * One request with its history, from the read model; requesters read only their own, admins and
 * auditors any. Read-your-writes: a request just created that has not reached the read model yet
 * is waited for (briefly), not reported missing.
 */
export class GetRequest {
  constructor(
    private readonly streams: Pick<RequestStreams, 'load'>,
    private readonly readModel: RequestReadModel,
    private readonly progress: ReadModelProgress,
  ) {}

  async execute(principal: Principal, requestId: string): Promise<RequestDetail> {
    const found = await this.readable(principal, requestId);
    return { ...found, history: await this.readModel.history(requestId) };
  }

  private async readable(principal: Principal, requestId: string): Promise<AccessRequestView> {
    let found = await this.readModel.find(requestId);
    if (!found) {
      // Read-your-writes: a request just created may not have reached the read model yet.
      const { revision } = await this.streams.load(requestId);
      if (revision === 'no_stream') throw notFound();
      if (await this.progress.isParked(requestId)) {
        throw refuse.unprocessable('ACCESS_REQUEST.UNREADABLE', 'the request exists but its events could not be stored in the read model (they are parked for an operator); retrying will not help');
      }
      await this.progress.waitFor(requestId, revision);
      found = await this.readModel.find(requestId);
      if (!found) throw refuse.unavailable('READ_MODEL_BEHIND', 'the request exists but is not readable yet; retry shortly');
    }
    if (!seesAll(principal) && !ownsRequest(principal, found.view)) throw forbidden('requesters may read only their own requests');
    return found.view;
  }
}
