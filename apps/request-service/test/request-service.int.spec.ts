import type { INestApplication } from '@nestjs/common';
import { FORWARDS, START, type EventStoreDBClient, EventStoreDBClient as Client } from '@eventstore/db-client';
import { Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { loadConfig } from '@kairos/config';
import { createServiceApp } from '@kairos/http';
import { contractSchemas, headerValue, MessagePublisher, MessageSigner, toKafkaMessage, type OutgoingMessage, ensureKairosTopics } from '@kairos/messaging';
import type { MessageProducer } from '@kairos/contracts';
import { authEnv, createTestDatabase, eventually, messageKeysEnv, startTestEventStore, startTestIssuer, startTestKafka, testMessageKeys, type TestDatabase, type TestIssuer } from '@kairos/testing';
// The real neighbouring service runs in-process here (policy is evaluated synchronously at submission);
// only this test reaches across apps, never production code.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ApprovalPolicyServiceModule } from '../../approval-policy-service/src/approval-policy-service.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { config as policyConfigSpec } from '../../approval-policy-service/src/config';
import { config as requestConfigSpec } from '../src/config';
import { RequestServiceModule } from '../src/request-service.module';

describe('the request service', () => {
  let db: TestDatabase;
  let kafkaBroker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let issuer: TestIssuer;
  let policyApp: INestApplication;
  let app: INestApplication;
  let esdb: EventStoreDBClient;
  let kafka: Kafka;
  let publisher: MessagePublisher;
  const t: Record<string, string> = {};

  const api = () => request(app.getHttpServer());
  const submit = (token: string, body: Record<string, unknown>) => api().post('/v1/access-requests').set('authorization', `Bearer ${token}`).send(body);
  const streamEvents = async (id: string) => {
    const events: { id: string; type: string; data: any }[] = [];
    for await (const e of esdb.readStream(`access-request-${id}`, { fromRevision: START, direction: FORWARDS })) events.push({ id: e.event!.id, type: e.event!.type, data: e.event!.data });
    return events;
  };

  beforeAll(async () => {
    [db, kafkaBroker, eventstore, issuer] = await Promise.all([createTestDatabase(), startTestKafka(), startTestEventStore(), startTestIssuer()]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(kafkaBroker.brokers);
    const common = { ...authEnv(issuer), DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBroker.brokers.join(','), LOG_LEVEL: 'error', PORT: '0' };
    policyApp = await createServiceApp(ApprovalPolicyServiceModule.forRoot(loadConfig(policyConfigSpec, { ...common, ...messageKeysEnv('approval-policy-service'), EVENTSTORE_URL: eventstore.connectionString })), { title: 'policy', description: 'policy' });
    await policyApp.listen(0, '127.0.0.1');
    await ApprovalPolicyServiceModule.startInbox(policyApp);
    const policyUrl = `http://127.0.0.1:${policyApp.getHttpServer().address().port}`;
    app = await createServiceApp(
      RequestServiceModule.forRoot(loadConfig(requestConfigSpec, { ...common, ...messageKeysEnv('request-service'), EVENTSTORE_URL: eventstore.connectionString, APPROVAL_POLICY_URL: policyUrl })),
      { title: 'requests', description: 'requests' },
    );
    await RequestServiceModule.startInbox(app);
    esdb = Client.connectionString(eventstore.connectionString);
    kafka = new Kafka({ clientId: 'test', brokers: kafkaBroker.brokers, logLevel: logLevel.NOTHING });
    publisher = new MessagePublisher(kafka, contractSchemas, MessageSigner.of(testMessageKeys().keys['provisioning-connector']));

    t.admin = await issuer.token('admin', ['admin']);
    t.alice = await issuer.token('alice', ['requester']);
    t.mallory = await issuer.token('mallory', ['requester']);
    t.auditor = await issuer.token('audrey', ['auditor']);
    const policy = (method: 'post', path: string, body: unknown) => request(policyApp.getHttpServer())[method](path).set('authorization', `Bearer ${t.admin}`).send(body as object);
    for (const identity of [
      { id: 'maria', kind: 'person', displayName: 'Maria' },
      { id: 'alice', kind: 'person', displayName: 'Alice', managerId: 'maria', groups: ['payments', 'oncall'] },
      { id: 'mallory', kind: 'person', displayName: 'Mallory', managerId: 'maria' },
      { id: 'bob', kind: 'person', displayName: 'Bob' },
    ]) expect((await policy('post', '/v1/identities', identity)).status).toBe(201);
    expect((await policy('post', '/v1/resources', { id: 'orders-db', name: 'Orders', connector: 'postgres', target: 'orders_readonly', owners: ['bob'], allowedRoles: ['readonly'], tier: 0 })).status).toBe(201);
    expect((await policy('post', '/v1/resources', { id: 'billing', name: 'Billing', connector: 'manual', target: 'billing', owners: ['bob'], allowedRoles: ['viewer'], tier: 1 })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await publisher?.disconnect();
    await esdb?.dispose();
    await app?.close();
    await policyApp?.close();
    await Promise.all([kafkaBroker?.close(), eventstore?.close(), issuer?.close()]);
    await db?.drop();
  }, 120_000);

  it('appends an automatically approved request to its own stream, with the policy and requester groups in force recorded', async () => {
    const res = await submit(t.alice!, { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'INC-1: payments down', duration: 'PT2H' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/access-requests/${res.body.requestId}`);
    const events = await streamEvents(res.body.requestId);
    expect(events.map((e) => e.type)).toEqual(['AccessRequested', 'ItemApproved', 'GrantRequested']);
    expect(events[0]!.data.items[0].policy).toMatchObject({ tier: 0, mode: 'automatic', target: { connector: 'postgres', target: 'orders_readonly' } });
    expect(events[0]!.data.requesterGroups).toEqual(['oncall', 'payments']);
  });

  it('relays every stream event to access-request.events as a CloudEvent keyed by request id', async () => {
    const res = await submit(t.alice!, { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'relay check', duration: 'PT1H' });
    const id = res.body.requestId as string;
    const stream = await streamEvents(id);
    const seen = new Map<string, { key: string; headers: Record<string, string | undefined> }>();
    const consumer = kafka.consumer({ groupId: `relay-check-${id}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'access-request.events', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const ceId = headerValue(message.headers, 'ce_id')!;
        const headers: Record<string, string | undefined> = {};
        for (const name of ['ce_id', 'ce_type', 'ce_source', 'ce_subject', 'ce_time', 'ce_specversion', 'x-correlation-id']) headers[name] = headerValue(message.headers, name);
        seen.set(ceId, { key: message.key!.toString(), headers });
      },
    });
    await eventually(async () => stream.every((e) => seen.has(e.id)), 'every stream event on Kafka');
    await consumer.disconnect();
    for (const event of stream) {
      const relayed = seen.get(event.id)!;
      expect(relayed.key).toBe(id);
      expect(relayed.headers).toMatchObject({ ce_id: event.id, ce_type: event.type, ce_subject: id, ce_specversion: '1.0' });
      expect(relayed.headers.ce_time).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
  });

  it('records a redelivered provisioning result exactly once', async () => {
    const res = await submit(t.alice!, { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'redelivery', duration: 'PT1H' });
    const id = res.body.requestId as string;
    const grantId = (await streamEvents(id)).find((e) => e.type === 'GrantRequested')!.data.grantId as string;
    const at = new Date().toISOString();
    const succeeded = { topic: 'provisioning.results', key: id, id: `grant-ok-${id}`, type: 'GrantSucceeded', subject: id, time: at, source: 'urn:kairos:provisioning-connector', data: { requestId: id, itemId: 'i1', grantId, attempt: 1, at, verified: true } };
    await publisher.publish([succeeded]);
    await publisher.publish([succeeded]);
    await eventually(async () => (await streamEvents(id)).some((e) => e.type === 'AccessGranted'), 'AccessGranted');
    // A second, distinct message for the same grant is a late duplicate for the decider: nothing new.
    await publisher.publish([{ ...succeeded, id: `grant-ok-again-${id}` }]);
    await eventually(async () => {
      const detail = await api().get(`/v1/access-requests/${id}`).set('authorization', `Bearer ${t.alice}`);
      return detail.body.items?.[0]?.status === 'active';
    }, 'the read model shows the grant');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await streamEvents(id)).filter((e) => e.type === 'AccessGranted')).toHaveLength(1);
  });

  it('extends active access within policy, and lets only the requester release it early', async () => {
    const res = await submit(t.alice!, { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'long migration', duration: 'PT1H' });
    const id = res.body.requestId as string;
    const grantId = (await streamEvents(id)).find((e) => e.type === 'GrantRequested')!.data.grantId as string;
    const at = new Date().toISOString();
    await publisher.publish([{ topic: 'provisioning.results', key: id, id: `grant-ok-${id}`, type: 'GrantSucceeded', subject: id, time: at, source: 'urn:kairos:provisioning-connector', data: { requestId: id, itemId: 'i1', grantId, attempt: 1, at, verified: true } }]);
    await eventually(async () => (await streamEvents(id)).some((e) => e.type === 'AccessGranted'), 'AccessGranted');

    const extended = await api().post(`/v1/access-requests/${id}/extend`).set('authorization', `Bearer ${t.alice}`).send({ itemId: 'i1', by: 'PT30M' });
    expect(extended.status).toBe(200);
    const extension = (await streamEvents(id)).find((e) => e.type === 'AccessExtended')!;
    expect(Date.parse(extension.data.expiresAt) - Date.parse(extension.data.previousExpiresAt)).toBe(30 * 60 * 1000);

    const stolen = await api().post(`/v1/access-requests/${id}/release`).set('authorization', `Bearer ${t.mallory}`).send({ itemId: 'i1' });
    expect(stolen.status).toBe(403);
    const released = await api().post(`/v1/access-requests/${id}/release`).set('authorization', `Bearer ${t.alice}`).send({ itemId: 'i1' });
    expect(released.status).toBe(200);
    expect(released.body.items[0].status).toBe('revoking');
    const revocation = (await streamEvents(id)).find((e) => e.type === 'RevocationRequested')!;
    expect(revocation.data).toMatchObject({ grantId, reason: 'released' });
  });

  it('answers the list and detail from the read model, with the history', async () => {
    const res = await submit(t.alice!, { items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'month end', duration: 'PT1H' });
    expect(res.status).toBe(201);
    expect(res.body.items[0].status).toBe('awaiting_approval');
    const detail = await api().get(`/v1/access-requests/${res.body.requestId}`).set('authorization', `Bearer ${t.alice}`);
    expect(detail.status).toBe(200);
    expect(detail.body.history.map((e: { type: string }) => e.type)).toEqual(['AccessRequested']);
    await eventually(async () => {
      const list = await api().get('/v1/access-requests?status=pending_approval&resource=billing').set('authorization', `Bearer ${t.alice}`);
      return list.body.items?.some((r: { requestId: string }) => r.requestId === res.body.requestId);
    }, 'the request in the filtered list');
  });

  it('cancels a pending request on the requester’s word', async () => {
    const res = await submit(t.alice!, { items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'changed my mind', duration: 'PT1H' });
    const cancelled = await api().post(`/v1/access-requests/${res.body.requestId}/cancel`).set('authorization', `Bearer ${t.alice}`).send({ reason: 'no longer needed' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.items[0].status).toBe('cancelled');
    expect((await streamEvents(res.body.requestId)).map((e) => e.type)).toContain('ItemCancelled');
  });

  describe('bad input', () => {
    it('lists each bad field in a 400 problem and appends nothing', async () => {
      const res = await submit(t.alice!, { items: [{ resourceId: 'orders db; drop', role: '' }], justification: 42, duration: 'two hours', extra: true });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['items.0.resourceId', 'items.0.role', 'justification', 'duration', 'extra']));
    });

    it('refuses an unknown resource with a 4xx and appends nothing', async () => {
      const before = (await api().get('/v1/access-requests?limit=200').set('authorization', `Bearer ${t.admin}`)).body.total;
      const res = await submit(t.alice!, { items: [{ resourceId: 'no-such-thing', role: 'readonly' }], justification: 'x', duration: 'PT1H' });
      expect(res.status).toBe(422);
      expect(JSON.stringify(res.body.problems)).toMatch(/UNKNOWN_RESOURCE/);
      await new Promise((r) => setTimeout(r, 500));
      expect((await api().get('/v1/access-requests?limit=200').set('authorization', `Bearer ${t.admin}`)).body.total).toBe(before);
    });

    it('refuses a duration over the maximum and an empty justification', async () => {
      expect((await submit(t.alice!, { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'x', duration: 'P30D' })).status).toBe(422);
      expect((await submit(t.alice!, { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: '', duration: 'PT1H' })).status).toBe(422);
    });
  });

  describe('attacks on authorization', () => {
    let alicesRequest: string;
    beforeAll(async () => {
      alicesRequest = (await submit(t.alice!, { items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'mine', duration: 'PT1H' })).body.requestId;
    });

    it('rejects a requester reading someone else’s request', async () => {
      const res = await api().get(`/v1/access-requests/${alicesRequest}`).set('authorization', `Bearer ${t.mallory}`);
      expect(res.status).toBe(403);
    });

    it('rejects a requester listing someone else’s requests', async () => {
      expect((await api().get('/v1/access-requests?requester=alice').set('authorization', `Bearer ${t.mallory}`)).status).toBe(403);
    });

    it('shows a requester only their own requests in the list', async () => {
      const list = await api().get('/v1/access-requests').set('authorization', `Bearer ${t.mallory}`);
      expect(list.status).toBe(200);
      expect(list.body.items.every((r: { requester: { id: string } }) => r.requester.id === 'mallory')).toBe(true);
    });

    it('rejects a requester cancelling someone else’s request', async () => {
      const res = await api().post(`/v1/access-requests/${alicesRequest}/cancel`).set('authorization', `Bearer ${t.mallory}`).send({});
      expect(res.status).toBe(403);
      expect((await streamEvents(alicesRequest)).map((e) => e.type)).not.toContain('ItemCancelled');
    });

    it('rejects a requester asking on behalf of another identity', async () => {
      const res = await submit(t.mallory!, { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'for alice', duration: 'PT1H', onBehalfOf: 'alice' });
      expect(res.status).toBe(403);
    });

    it('lets an admin ask on behalf of another identity', async () => {
      const res = await submit(t.admin!, { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'for alice', duration: 'PT1H', onBehalfOf: 'alice' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ requester: { id: 'alice' }, requestedBy: 'admin', onBehalf: true });
    });

    it('rejects a requester revoking access', async () => {
      const res = await api().post(`/v1/access-requests/${alicesRequest}/revoke`).set('authorization', `Bearer ${t.alice}`).send({ itemId: 'i1' });
      expect(res.status).toBe(403);
    });

    it('rejects an auditor changing a request', async () => {
      expect((await submit(t.auditor!, { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'x', duration: 'PT1H' })).status).toBe(403);
      expect((await api().post(`/v1/access-requests/${alicesRequest}/cancel`).set('authorization', `Bearer ${t.auditor}`).send({})).status).toBe(403);
    });

    it('lets an auditor read any request', async () => {
      expect((await api().get(`/v1/access-requests/${alicesRequest}`).set('authorization', `Bearer ${t.auditor}`)).status).toBe(200);
    });

    it('rejects a call without a token', async () => {
      expect((await api().get('/v1/access-requests')).status).toBe(401);
    });

    it('rejects a malformed request id instead of querying with it', async () => {
      expect((await api().get(`/v1/access-requests/${encodeURIComponent("1' OR '1'='1")}`).set('authorization', `Bearer ${t.admin}`)).status).toBe(400);
    });
  });

  describe('messages written straight to the internal topics', () => {
    /** Sends one record with kafkajs, as anyone with write access to the topic could. */
    async function sendRaw(message: OutgoingMessage, sign?: MessageSigner): Promise<void> {
      const record = toKafkaMessage(message);
      const headers = sign ? { ...record.headers, ...sign.signatureHeaders(message.topic, record) } : record.headers;
      const producer = kafka.producer();
      await producer.connect();
      try {
        await producer.send({ topic: message.topic, messages: [{ ...record, headers }] });
      } finally {
        await producer.disconnect();
      }
    }
    const signerOf = (service: MessageProducer) => MessageSigner.of(testMessageKeys().keys[service]);
    const deadLetters = async (ids: string[]) => {
      const found = new Map<string, string>();
      const reader = kafka.consumer({ groupId: `dlq-${ids[0]}` });
      await reader.connect();
      await reader.subscribe({ topic: 'request-service.dlq', fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) => {
          const id = headerValue(message.headers, 'ce_id');
          if (id && ids.includes(id)) found.set(id, headerValue(message.headers, 'x-kairos-dlq-reason') ?? '');
        },
      });
      await eventually(async () => found.size === ids.length, 'the forgeries on the dead-letter topic');
      await reader.disconnect();
      return found;
    };
    const review = (id: string, messageId: string, decision: 'approve' | 'deny'): OutgoingMessage => ({
      topic: 'approval.decisions', key: id, id: messageId, type: 'ReviewSubmitted', subject: id, time: new Date().toISOString(), source: 'urn:kairos:approval-policy-service',
      data: { requestId: id, itemId: 'i1', reviewId: messageId, reviewerId: 'maria', decision, submittedAt: new Date().toISOString() },
    });

    it('refuses a forged ReviewSubmitted written straight to approval.decisions (unsigned, or signed by a service that does not review)', async () => {
      const res = await submit(t.alice!, { items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'month-end close', duration: 'PT1H' });
      const id = res.body.requestId as string;
      expect(res.body.status).toBe('pending_approval');
      const unsigned = review(id, `forged-review-${id}`, 'approve');
      const wrongProducer = review(id, `forged-review-2-${id}`, 'approve');
      await sendRaw(unsigned);
      await sendRaw(wrongProducer, signerOf('provisioning-connector'));
      // A genuine decision after them, on the same partition: the recorder went on past the forgeries.
      const genuine = review(id, `genuine-review-${id}`, 'deny');
      const approvals = new MessagePublisher(kafka, contractSchemas, signerOf('approval-policy-service'));
      await approvals.publish([genuine]).finally(() => approvals.disconnect());
      await eventually(async () => (await streamEvents(id)).some((e) => e.type === 'ReviewRecorded'), 'the genuine review recorded');
      const reviews = (await streamEvents(id)).filter((e) => e.type === 'ReviewRecorded');
      expect(reviews.map((e) => e.data.decision)).toEqual(['deny']);
      expect((await streamEvents(id)).some((e) => e.type === 'ItemApproved')).toBe(false);
      const reasons = await deadLetters([unsigned.id, wrongProducer.id]);
      expect(reasons.get(unsigned.id)).toMatch(/^authentication: unsigned: /);
      expect(reasons.get(wrongProducer.id)).toMatch(/^authentication: wrong_producer: key "provisioning-connector-\w+" belongs to provisioning-connector, but only approval-policy-service may produce on approval\.decisions$/);
    });

    it('dead-letters a genuine decision the decider refuses (a self-review), with the decider’s code, and records the next one', async () => {
      const res = await submit(t.alice!, { items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'approve my own', duration: 'PT1H' });
      const id = res.body.requestId as string;
      expect(res.body.status).toBe('pending_approval');
      // Signed by the service that reviews, so it passes authentication and its schema: only the decider can refuse it.
      const byMaria = review(id, `self-review-${id}`, 'approve');
      const selfReview: OutgoingMessage = { ...byMaria, data: { ...(byMaria.data as Record<string, unknown>), reviewerId: 'alice' } };
      const genuine = review(id, `genuine-after-self-${id}`, 'deny');
      const approvals = new MessagePublisher(kafka, contractSchemas, signerOf('approval-policy-service'));
      await approvals.publish([selfReview]).then(() => approvals.publish([genuine])).finally(() => approvals.disconnect());
      await eventually(async () => (await streamEvents(id)).some((e) => e.type === 'ReviewRecorded'), 'the review after the refused one recorded');
      const reviews = (await streamEvents(id)).filter((e) => e.type === 'ReviewRecorded');
      expect(reviews.map((e) => [e.data.reviewerId, e.data.decision])).toEqual([['maria', 'deny']]);
      const reasons = await deadLetters([selfReview.id]);
      expect(reasons.get(selfReview.id)).toMatch(/^ACCESS_REQUEST\.SELF_REVIEW: /);
    });

    it('refuses a forged GrantSucceeded written straight to provisioning.results while the item waits on its fulfilment', async () => {
      const res = await submit(t.alice!, { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'forged result', duration: 'PT1H' });
      const id = res.body.requestId as string;
      const grantId = (await streamEvents(id)).find((e) => e.type === 'GrantRequested')!.data.grantId as string;
      const at = new Date().toISOString();
      const result = (messageId: string): OutgoingMessage => ({
        topic: 'provisioning.results', key: id, id: messageId, type: 'GrantSucceeded', subject: id, time: at, source: 'urn:kairos:provisioning-connector',
        data: { requestId: id, itemId: 'i1', grantId, attempt: 1, at, verified: true },
      });
      const unsigned = result(`forged-grant-${id}`);
      const byRequestService = result(`forged-grant-2-${id}`);
      await sendRaw(unsigned);
      await sendRaw(byRequestService, signerOf('request-service'));
      const started: OutgoingMessage = { ...result(`started-${id}`), type: 'ProvisioningStarted', data: { requestId: id, itemId: 'i1', grantId, attempt: 1, at } };
      await publisher.publish([started]);
      await eventually(async () => (await streamEvents(id)).some((e) => e.type === 'ProvisioningStarted'), 'the genuine ProvisioningStarted recorded');
      const reasons = await deadLetters([unsigned.id, byRequestService.id]);
      expect(reasons.get(unsigned.id)).toMatch(/^authentication: unsigned: /);
      expect(reasons.get(byRequestService.id)).toMatch(/^authentication: wrong_producer: /);
      expect((await streamEvents(id)).some((e) => e.type === 'AccessGranted')).toBe(false);
      const detail = await api().get(`/v1/access-requests/${id}`).set('authorization', `Bearer ${t.alice}`);
      expect(detail.body.items[0].status).not.toBe('active');
    });
  });
});
