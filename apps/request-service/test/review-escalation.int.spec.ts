import type { INestApplication } from '@nestjs/common';
import { FORWARDS, START, type EventStoreDBClient, EventStoreDBClient as Client } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { loadConfig } from '@kairos/config';
import { TOPICS, type ReviewEscalationRequested } from '@kairos/contracts';
import { createServiceApp } from '@kairos/http';
import { contractSchemas, MessagePublisher, MessageSigner, ensureKairosTopics } from '@kairos/messaging';
import { authEnv, createTestDatabase, eventually, messageKeysEnv, startTestEventStore, startTestIssuer, startTestKafka, testMessageKeys, type TestDatabase, type TestIssuer } from '@kairos/testing';
// The real neighbouring service runs in-process (policy is evaluated at submission); only this test reaches across apps.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ApprovalPolicyServiceModule } from '../../approval-policy-service/src/approval-policy-service.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { config as policyConfigSpec } from '../../approval-policy-service/src/config';
import { config as requestConfigSpec } from '../src/config';
import { RequestServiceModule } from '../src/request-service.module';

/**
 * ADR 0017: the notifier asks for an escalation or a delegation with a signed
 * `ReviewEscalationRequested` on notifier.escalations; the request service records `ReviewEscalated`
 * on the request's stream only when its decider agrees. Real PostgreSQL, Kafka, EventStoreDB.
 */
describe('request-service records the notifier’s escalations on the request stream', () => {
  let db: TestDatabase;
  let kafkaBroker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let issuer: TestIssuer;
  let policyApp: INestApplication;
  let app: INestApplication;
  let esdb: EventStoreDBClient;
  let kafka: Kafka;
  const publishers: MessagePublisher[] = [];
  let alice = '';
  const itemIds = new Map<string, string>();

  const publisherAs = (producer: 'notifier' | 'provisioning-connector') => {
    const publisher = new MessagePublisher(kafka, contractSchemas, MessageSigner.of(testMessageKeys().keys[producer]));
    publishers.push(publisher);
    return publisher;
  };
  const escalation = (data: ReviewEscalationRequested['data']) => ({
    topic: TOPICS.notifierEscalations,
    key: data.requestId,
    id: data.escalationId,
    type: 'ReviewEscalationRequested' as const,
    subject: data.requestId,
    time: data.requestedAt,
    source: 'urn:kairos:notifier',
    data,
  });
  const streamEvents = async (id: string) => {
    const events: { type: string; data: any }[] = [];
    for await (const e of esdb.readStream(`access-request-${id}`, { fromRevision: START, direction: FORWARDS })) events.push({ type: e.event!.type, data: e.event!.data });
    return events;
  };
  const escalatedOn = async (id: string) => (await streamEvents(id)).filter((e) => e.type === 'ReviewEscalated');

  /** alice asks for the manual billing tool (tier 1: her manager maria approves); returns the request id. */
  const submitted = async (): Promise<string> => {
    const res = await request(app.getHttpServer())
      .post('/v1/access-requests')
      .set('authorization', `Bearer ${alice}`)
      .send({ items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'INC-7', duration: 'PT2H' });
    expect(res.status).toBe(201);
    const requestId = res.body.requestId as string;
    const [requested] = await streamEvents(requestId);
    expect(requested!.data.items[0].policy.steps[0].approvers).toEqual(['maria']);
    itemIds.set(requestId, requested!.data.items[0].itemId);
    return requestId;
  };
  const asked = (requestId: string, approvers: string[], overrides: Partial<ReviewEscalationRequested['data']> = {}): ReviewEscalationRequested['data'] => ({
    requestId,
    itemId: itemIds.get(requestId)!,
    escalationId: `escalate:${randomUUID()}`,
    step: 0,
    reason: 'unanswered',
    approvers,
    requestedAt: new Date().toISOString(),
    ...overrides,
  });

  beforeAll(async () => {
    [db, kafkaBroker, eventstore, issuer] = await Promise.all([createTestDatabase(), startTestKafka(), startTestEventStore(), startTestIssuer()]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(kafkaBroker.brokers);
    const common = { ...authEnv(issuer), DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBroker.brokers.join(','), LOG_LEVEL: 'error', PORT: '0' };
    policyApp = await createServiceApp(
      ApprovalPolicyServiceModule.forRoot(loadConfig(policyConfigSpec, { ...common, ...messageKeysEnv('approval-policy-service'), EVENTSTORE_URL: eventstore.connectionString })),
      { title: 'policy', description: 'policy' },
    );
    await policyApp.listen(0, '127.0.0.1');
    await ApprovalPolicyServiceModule.startInbox(policyApp);
    const policyUrl = `http://127.0.0.1:${policyApp.getHttpServer().address().port}`;
    app = await createServiceApp(
      RequestServiceModule.forRoot(loadConfig(requestConfigSpec, { ...common, ...messageKeysEnv('request-service'), EVENTSTORE_URL: eventstore.connectionString, APPROVAL_POLICY_URL: policyUrl })),
      { title: 'requests', description: 'requests' },
    );
    await RequestServiceModule.startInbox(app);
    esdb = Client.connectionString(eventstore.connectionString);
    kafka = new Kafka({ clientId: 'escalation-test', brokers: kafkaBroker.brokers, logLevel: logLevel.NOTHING });
    const admin = await issuer.token('admin', ['admin']);
    alice = await issuer.token('alice', ['requester']);
    const policy = (path: string, body: unknown) => request(policyApp.getHttpServer()).post(path).set('authorization', `Bearer ${admin}`).send(body as object);
    for (const identity of [
      { id: 'maria', kind: 'person', displayName: 'Maria' },
      { id: 'alice', kind: 'person', displayName: 'Alice', managerId: 'maria' },
      { id: 'bob', kind: 'person', displayName: 'Bob' },
      { id: 'otto', kind: 'person', displayName: 'Otto' },
    ]) expect((await policy('/v1/identities', identity)).status).toBe(201);
    expect((await policy('/v1/resources', { id: 'billing', name: 'Billing', connector: 'manual', target: 'billing', owners: ['bob'], allowedRoles: ['viewer'], tier: 1 })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.disconnect()));
    await esdb?.dispose();
    await app?.close();
    await policyApp?.close();
    await Promise.all([kafkaBroker?.close(), eventstore?.close(), issuer?.close()]);
    await db?.drop();
  }, 120_000);

  it("records the notifier's signed ReviewEscalationRequested as ReviewEscalated on the request's stream, once, however often it is delivered", async () => {
    const requestId = await submitted();
    const ask = asked(requestId, ['bob']);
    const notifier = publisherAs('notifier');
    await notifier.publish([escalation(ask)]);
    const [recorded] = await eventually(async () => {
      const found = await escalatedOn(requestId);
      return found.length > 0 ? found : undefined;
    }, 'ReviewEscalated on the stream', 60_000);
    expect(recorded!.data).toMatchObject({ requestId, itemId: itemIds.get(requestId), escalationId: ask.escalationId, step: 0, reason: 'unanswered', approvers: ['bob'] });
    // A redelivery (same id) and a second ask naming the same person add nobody twice.
    await notifier.publish([escalation(ask), escalation(asked(requestId, ['bob']))]);
    const barrier = asked(requestId, ['otto']);
    await notifier.publish([escalation(barrier)]);
    await eventually(async () => (await escalatedOn(requestId)).some((e) => e.data.escalationId === barrier.escalationId), 'the later escalation', 60_000);
    expect((await escalatedOn(requestId)).map((e) => e.data.approvers)).toEqual([['bob'], ['otto']]);
  }, 120_000);

  it('refuses a forged ReviewEscalationRequested written straight to notifier.escalations (unsigned, or signed by another service)', async () => {
    const requestId = await submitted();
    const raw = kafka.producer();
    await raw.connect();
    const forged = asked(requestId, ['mallory']);
    await raw.send({
      topic: TOPICS.notifierEscalations,
      messages: [
        {
          key: requestId,
          value: JSON.stringify(forged),
          headers: { ce_id: forged.escalationId, ce_type: 'ReviewEscalationRequested', ce_source: 'urn:kairos:notifier', ce_subject: requestId, ce_time: forged.requestedAt, ce_specversion: '1.0' },
        },
      ],
    });
    await raw.disconnect();
    // Signed, but by the provisioning connector's key: only the notifier produces on this topic.
    await publisherAs('provisioning-connector').publish([escalation(asked(requestId, ['mallory']))]).catch(() => undefined);
    // A genuine one behind them on the same partition (same key): once it is recorded, the forged ones were handled.
    const genuine = asked(requestId, ['otto']);
    await publisherAs('notifier').publish([escalation(genuine)]);
    await eventually(async () => (await escalatedOn(requestId)).some((e) => e.data.escalationId === genuine.escalationId), 'the genuine escalation', 60_000);
    const all = await escalatedOn(requestId);
    expect(all.map((e) => e.data.approvers)).toEqual([['otto']]);
    expect(JSON.stringify(all)).not.toContain('mallory');
  }, 120_000);

  it('never lets an escalation add the requester, or touch a step the item no longer waits on', async () => {
    const requestId = await submitted();
    const notifier = publisherAs('notifier');
    await notifier.publish([escalation(asked(requestId, ['alice'])), escalation(asked(requestId, ['bob'], { step: 1 }))]);
    const genuine = asked(requestId, ['otto']);
    await notifier.publish([escalation(genuine)]);
    await eventually(async () => (await escalatedOn(requestId)).some((e) => e.data.escalationId === genuine.escalationId), 'the genuine escalation', 60_000);
    expect((await escalatedOn(requestId)).map((e) => e.data.approvers)).toEqual([['otto']]);
  }, 120_000);
});
