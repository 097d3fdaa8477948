import { Refusal } from '@kairos/refusal';
import { QueryAudit } from './query-audit';
import type { AuditReadModel, ParkedEventList, TimelineEntry } from './ports';

const entry: TimelineEntry = {
  revision: '0',
  eventId: 'e-0',
  type: 'AccessRequested',
  status: 'recorded',
  problem: null,
  position: { commit: '1', prepare: '1' },
  recordedAt: '2025-06-01T00:00:00.000Z',
  data: {},
  metadata: null,
};
const readModel = (timeline: TimelineEntry[]): AuditReadModel =>
  ({ timeline: async (id: string) => (id === 'r-1' ? timeline : []) }) as unknown as AuditReadModel;
const noParked: ParkedEventList = { count: async () => 0, list: async () => [] };

describe('query the audit trail', () => {
  it("returns a request's timeline", async () => {
    expect(await new QueryAudit(readModel([entry]), noParked).timeline('r-1')).toEqual({ requestId: 'r-1', events: [entry] });
  });

  it('refuses (not found) a request with no recorded event', async () => {
    const error = await new QueryAudit(readModel([entry]), noParked).timeline('r-2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Refusal);
    expect(error).toMatchObject({ kind: 'not_found', code: 'AUDIT.REQUEST_NOT_FOUND', detail: 'no recorded events for request r-2' });
  });

  it('pages the parked events with their total', async () => {
    const parked: ParkedEventList = { count: async () => 3, list: async ({ limit, offset }) => [{ limit, offset }] };
    expect(await new QueryAudit(readModel([]), parked).parked(1, 2)).toEqual({ total: 3, limit: 1, offset: 2, events: [{ limit: 1, offset: 2 }] });
  });
});
