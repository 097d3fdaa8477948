import { initialState, type AccessRequestState } from '@kairos/access-request-domain';
import { BOB, expected, REQUEST_ID, T0 } from '@kairos/access-request-domain/testing';
import type { ReviewEscalationRequested } from '@kairos/contracts';
import { Refusal } from '@kairos/refusal';
import type { Delegation } from '../../domain/delegation';
import type { PlannedNotification } from '../../domain/plan';
import type { Timer } from '../../domain/ports';
import { PlanNotifications, type PlanStore, type RequestEventMessage } from './plan-notifications';

/** The notifier's tables in memory: what the use case wrote, in order. */
class MemoryStore implements PlanStore {
  readonly states = new Map<string, AccessRequestState>();
  readonly notifications: { id: string; notification: PlannedNotification }[] = [];
  readonly timers: Timer[] = [];
  readonly escalations: ReviewEscalationRequested['data'][] = [];
  delegations: Delegation[] = [];

  async loadState(requestId: string): Promise<AccessRequestState> {
    return this.states.get(requestId) ?? initialState();
  }
  async saveState(requestId: string, state: AccessRequestState): Promise<void> {
    this.states.set(requestId, state);
  }
  async queueNotification(id: string, _requestId: string, notification: PlannedNotification): Promise<void> {
    this.notifications.push({ id, notification });
  }
  async schedule(timer: Timer): Promise<void> {
    this.timers.push(timer);
  }
  async activeDelegations(approvers: readonly string[]): Promise<Delegation[]> {
    return this.delegations.filter((d) => approvers.includes(d.delegatorId));
  }
  async requestEscalation(data: ReviewEscalationRequested['data']): Promise<void> {
    this.escalations.push(data);
  }
}

const NOW = new Date('2025-03-01T09:05:00.000Z');
const HOUR = 3_600_000;
const settings = { reminderAfterMs: 4 * HOUR, escalateAfterMs: 20 * HOUR, expiryWarningMs: HOUR, fulfillerGroup: 'fulfillers' };
const plan = new PlanNotifications({ now: () => NOW }, settings);
const message = (event: { type: string; data: unknown }, o: Partial<RequestEventMessage> = {}): RequestEventMessage => ({
  id: 'msg-1',
  type: event.type,
  key: REQUEST_ID,
  time: T0,
  data: event.data,
  ...o,
});

describe('plan notifications for a request event', () => {
  it('asks the approver of a new request to review, and schedules the reminder and the escalation from the event time', async () => {
    const store = new MemoryStore();
    const queued = await plan.run(store, message(expected.accessRequested()));
    expect(queued).toEqual({ sends: true, messages: false });
    expect(store.notifications).toEqual([
      { id: 'msg-1:0', notification: expect.objectContaining({ kind: 'review_needed', itemId: 'db', recipients: { ids: [BOB] } }) },
    ]);
    expect(store.timers.map((t) => [t.kind, t.dueAt.toISOString()])).toEqual([
      ['remind', new Date(Date.parse(T0) + 4 * HOUR).toISOString()],
      ['escalate', new Date(Date.parse(T0) + 24 * HOUR).toISOString()],
    ]);
    expect(store.states.get(REQUEST_ID)?.status).not.toBe('empty');
  });

  it("asks for the delegate of an approver who is away, on the request's stream, naming whose place they take", async () => {
    const store = new MemoryStore();
    store.delegations = [{ delegationId: 'd-1', delegatorId: BOB, delegateId: 'u-dora', startsAt: T0, endsAt: '2025-03-08T00:00:00.000Z', createdAt: T0 }];
    const queued = await plan.run(store, message(expected.accessRequested()));
    expect(queued).toEqual({ sends: true, messages: true });
    expect(store.escalations).toEqual([
      expect.objectContaining({ requestId: REQUEST_ID, itemId: 'db', reason: 'delegation', approvers: ['u-dora'], delegatedBy: BOB, until: '2025-03-08T00:00:00.000Z', requestedAt: NOW.toISOString() }),
    ]);
    expect(store.escalations[0]!.escalationId).toBe(`delegation:d-1:${REQUEST_ID}:db:0`);
  });

  it('changes nothing for an event that does not change the request (a redelivery folded twice)', async () => {
    const store = new MemoryStore();
    await plan.run(store, message(expected.accessRequested()));
    const written = store.notifications.length + store.timers.length;
    expect(await plan.run(store, message(expected.accessRequested(), { id: 'msg-2' }))).toEqual({ sends: false, messages: false });
    expect(store.notifications.length + store.timers.length).toBe(written);
  });

  it.each([
    ['an unknown event type', message({ type: 'AccessStolen', data: { requestId: REQUEST_ID } }), 'NOTIFIER.UNKNOWN_EVENT'],
    ['an event whose record key is not its request id (a request forged under another key)', message(expected.accessRequested(), { key: 'another-request' }), 'NOTIFIER.KEY_MISMATCH'],
    [
      'an event of a request it never saw submitted',
      message({ type: 'ItemCancelled', data: { requestId: REQUEST_ID, itemId: 'db', cancelledBy: 'u-alice', cancelledAt: T0 } }),
      'NOTIFIER.UNKNOWN_REQUEST',
    ],
  ])('refuses %s (dead-lettered), writing nothing', async (_name, poison, code) => {
    const store = new MemoryStore();
    const error = await plan.run(store, poison).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Refusal);
    expect(error).toMatchObject({ kind: 'unprocessable', code });
    expect(store.states.size + store.notifications.length + store.timers.length + store.escalations.length).toBe(0);
  });
});
