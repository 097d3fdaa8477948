import { Kafka, logLevel } from 'kafkajs';
import { poll, startHarness, type Harness } from './platform-harness';

/**
 * Scenario 6: every service and both local servers are killed with kill -9 once, in the middle of
 * the flow, and restarted by their supervisor. Afterwards every request has reached a consistent
 * end, nothing was granted twice, nothing outlived its expiry, and no event is missing from the
 * stream or from Kafka.
 */
describe('the platform under kill -9', () => {
  let h: Harness;
  let alice: string;
  let auditor: string;
  const requestIds: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    alice = await h.token('alice', ['requester']);
    auditor = await h.token('audrey', ['auditor']);
  }, 240_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  const submit = () =>
    poll('a request accepted', async () => {
      const res = await h.call('request-service', alice, 'POST', '/v1/access-requests', {
        items: [{ resourceId: 'orders-db', role: 'readonly' }],
        justification: 'fault drill',
        duration: 'PT6S',
      }).catch(() => undefined);
      if (res?.status === 201) return res.body.requestId as string;
      return undefined;
    }, 120_000);

  it('reaches a consistent state after each process is killed once', async () => {
    const victims = ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector', 'eventstore', 'kafka'];
    for (const victim of victims) {
      requestIds.push(await submit());
      await h.crash(victim);
    }
    requestIds.push(await submit());

    const views = await poll('every request at a terminal state', async () => {
      const all = await Promise.all(requestIds.map(async (id) => (await h.call('request-service', auditor, 'GET', `/v1/access-requests/${id}`)).body));
      return all.every((v) => v.items?.every((i: { terminal: boolean }) => i.terminal)) ? all : undefined;
    }, 180_000);

    for (const view of views) {
      expect(view.items[0].status).toBe('expired');
      const types = (view.history as { type: string }[]).map((e) => e.type);
      expect(types.filter((t) => t === 'AccessGranted')).toHaveLength(1);
      expect(types.filter((t) => t === 'AccessRevoked')).toHaveLength(1);
      const revisions = (view.history as { revision: number }[]).map((e) => e.revision);
      expect(revisions).toEqual(revisions.map((_, i) => i));
    }
    expect((await h.targetRoleMembers('orders_readonly')).filter((m) => m.startsWith('kairos_alice_'))).toEqual([]);

    const expected = new Set(views.flatMap((v) => (v.history as { eventId: string }[]).map((e) => e.eventId)));
    const onKafka = new Set<string>();
    const kafka = new Kafka({ clientId: 'fault-check', brokers: [h.urls.kafka!], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'fault-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'access-request.events', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void onKafka.add(message.headers?.ce_id?.toString() ?? '') });
    await poll('every stream event on access-request.events', async () => [...expected].every((id) => onKafka.has(id)), 60_000);
    await consumer.disconnect();

    await poll('the audit projector caught up with every request', async () => {
      for (const id of requestIds) {
        const timeline = await h.call('audit-projector', auditor, 'GET', `/v1/audit/requests/${id}/timeline`);
        const entries = (Array.isArray(timeline.body) ? timeline.body : timeline.body?.events ?? timeline.body?.timeline ?? []) as unknown[];
        const history = views.find((v) => v.requestId === id).history as unknown[];
        if (entries.length !== history.length) return false;
      }
      return true;
    }, 60_000);
  }, 600_000);
});
