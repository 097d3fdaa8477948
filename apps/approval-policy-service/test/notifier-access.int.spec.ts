import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import request from 'supertest';
import type { Role } from '@kairos/auth';
import { loadConfig } from '@kairos/config';
import { TOPICS, type AccessRequestEvent } from '@kairos/contracts';
import { createServiceApp } from '@kairos/http';
import { headerValue, ensureKairosTopics } from '@kairos/messaging';
import {
  authEnv,
  createTestDatabase,
  eventually,
  messageKeysEnv,
  startTestEventStore,
  startTestIssuer,
  startTestKafka,
  type TestDatabase,
  type TestIssuer,
} from '@kairos/testing';
import { ApprovalPolicyServiceModule } from '../src/approval-policy-service.module';
import { config } from '../src/config';

const T0 = new Date('2030-01-07T09:00:00.000Z');

// The notifier's side of the approval-policy service: the directory read it may make with its
// service token, and the chat review it relays, judged exactly like a review through the API.
describe('approval-policy-service: what the notifier may do', () => {
  let issuer: TestIssuer;
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let streams: EventStoreDBClient;
  let db: TestDatabase;
  let app: INestApplication;
  let reader: Consumer;
  const decisions: { type?: string; data: Record<string, unknown> }[] = [];
  const clock = { now: () => T0 };
  const http = () => request(app.getHttpServer());
  const as = async (sub: string, roles: Role[], kind: 'person' | 'service' = 'person') => `Bearer ${await issuer.token(sub, roles, { kind })}`;
  const notifier = () => as('notifier', [], 'service');

  beforeAll(async () => {
    [issuer, broker, db, eventstore] = await Promise.all([startTestIssuer(), startTestKafka(), createTestDatabase(), startTestEventStore()]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(broker.brokers);
    streams = EventStoreDBClient.connectionString(eventstore.connectionString);
    const settings = loadConfig(config, {
      ...authEnv(issuer),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      EVENTSTORE_URL: eventstore.connectionString,
      PORT: '0',
      LOG_LEVEL: 'error',
      NOTIFIER_SUBJECTS: 'notifier',
      ...messageKeysEnv('approval-policy-service'),
    });
    app = await createServiceApp(ApprovalPolicyServiceModule.forRoot(settings, { clock }), { title: 'test', description: 'test' });
    await app.init();
    await ApprovalPolicyServiceModule.startInbox(app);
    const kafka = new Kafka({ clientId: 'test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.createTopics({ topics: [{ topic: TOPICS.approvalDecisions }, { topic: TOPICS.accessRequestEvents }] });
    await kafkaAdmin.disconnect();
    reader = kafka.consumer({ groupId: 'test-decisions' });
    await reader.connect();
    await reader.subscribe({ topic: TOPICS.approvalDecisions, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        decisions.push({ type: headerValue(message.headers, 'ce_type'), data: JSON.parse(message.value?.toString() ?? '{}') });
      },
    });
    const admin = await as('root', ['admin']);
    const directory = {
      identities: [
        { id: 'alice', kind: 'person', displayName: 'Alice', email: 'alice@example.com', managerId: 'mia', groups: ['engineering'] },
        { id: 'mia', kind: 'person', displayName: 'Mia', email: 'mia@example.com', groups: ['engineering', 'admins'] },
        { id: 'otto', kind: 'person', displayName: 'Otto', email: 'otto@example.com', groups: ['admins'] },
        { id: 'gone', kind: 'person', displayName: 'Gone', active: false },
      ],
    };
    expect((await http().post('/v1/directory/import').set('authorization', admin).send(directory)).status).toBe(200);
    const resource = { id: 'db', name: 'DB', connector: 'postgres', target: 'db', owners: ['otto'], allowedRoles: ['read'], tier: 1 };
    expect((await http().post('/v1/resources').set('authorization', admin).send(resource)).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await reader?.disconnect();
    await app?.close();
    await broker?.close();
    await streams?.dispose();
    await eventstore?.close();
    await db?.drop();
    await issuer?.close();
  });

  async function submitted(requester = 'alice'): Promise<{ requestId: string; approvers: readonly string[] }> {
    const evaluation = await http()
      .post('/v1/policy/evaluations')
      .set('authorization', await as('root', ['admin']))
      .send({ requester: { id: requester, kind: 'person' }, items: [{ itemId: 'item-1', resourceId: 'db', role: 'read' }], justification: 'INC-1', breakGlass: false });
    expect(evaluation.status).toBe(200);
    const { policy, duration } = evaluation.body.items[0];
    const requestId = randomUUID();
    const event: AccessRequestEvent = {
      type: 'AccessRequested',
      data: {
        requestId,
        requester: { id: requester, kind: 'person' },
        requestedBy: requester,
        onBehalf: false,
        justification: 'INC-1',
        duration,
        breakGlass: false,
        items: [{ itemId: 'item-1', resourceId: 'db', role: 'read', policy, pendingExpiresAt: new Date(T0.getTime() + 86_400_000).toISOString() }],
        requestedAt: T0.toISOString(),
      },
    };
    await streams.appendToStream(`access-request-${requestId}`, [jsonEvent({ type: event.type, data: event.data as never })]);
    return { requestId, approvers: policy.steps[0].approvers };
  }

  const relay = async (requestId: string, reviewer: string | undefined, token?: string) => {
    const call = http().post(`/v1/notifier/access-requests/${requestId}/reviews`).set('authorization', token ?? (await notifier()));
    if (reviewer !== undefined) call.set('x-kairos-reviewer', reviewer);
    return call.send({ itemId: 'item-1', decision: 'approve', comment: 'approved in Slack' });
  };

  it("relays an eligible person's chat approval as that person's ReviewSubmitted", async () => {
    const { requestId, approvers } = await submitted();
    expect(approvers).toEqual(['mia']);
    const res = await relay(requestId, 'mia');
    expect(res.status).toBe(202);
    await eventually(async () => decisions.find((d) => d.data.requestId === requestId), 'the relayed review on approval.decisions');
    expect(decisions.find((d) => d.data.requestId === requestId)).toMatchObject({ type: 'ReviewSubmitted', data: { reviewerId: 'mia', decision: 'approve' } });
  });

  it('refuses a click by the requester on their own request (the same rule as the API)', async () => {
    const { requestId } = await submitted();
    const res = await relay(requestId, 'alice');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.code).toBe('SELF_REVIEW');
  });

  it('refuses a relayed review by someone not eligible for the step, or inactive', async () => {
    const { requestId } = await submitted();
    expect((await relay(requestId, 'otto')).body.code).toBe('NOT_ELIGIBLE_FOR_STEP');
    expect((await relay(requestId, 'gone')).body.code).toBe('REVIEWER_INACTIVE');
    expect((await relay(requestId, 'nobody')).body.code).toBe('REVIEWER_UNKNOWN');
  });

  it("refuses a person's token, even an admin's, naming another reviewer", async () => {
    const { requestId } = await submitted();
    const res = await relay(requestId, 'mia', await as('alice', ['admin', 'approver']));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('NOT_THE_NOTIFIER');
  });

  it('refuses a service token of another subject relaying a review', async () => {
    const { requestId } = await submitted();
    const res = await relay(requestId, 'mia', await as('build-bot', ['approver'], 'service'));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('NOT_THE_NOTIFIER');
  });

  it('refuses a relayed review without a reviewer, or with the notifier itself as reviewer', async () => {
    const { requestId } = await submitted();
    expect((await relay(requestId, undefined)).status).toBe(400);
    expect((await relay(requestId, 'bad id with spaces')).status).toBe(400);
    expect((await relay(requestId, 'notifier')).status).toBe(403);
  });

  it('lets a person choose channels, an admin link a Slack user, and the notifier read contacts by id, Slack user and group', async () => {
    const admin = await as('root', ['admin']);
    expect((await http().put('/v1/identities/mia/notification-settings').set('authorization', admin).send({ slackUserId: 'UMIA01', notify: ['email', 'slack'] })).status).toBe(200);
    const own = await http().put('/v1/identities/mia/notification-settings').set('authorization', await as('mia', ['approver'])).send({ slackUserId: 'UMIA01', notify: ['slack'] });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: 'mia', email: 'mia@example.com', slackUserId: 'UMIA01', notify: ['slack'] });
    const byIds = await http().get('/v1/notifier/contacts').query({ ids: 'mia,alice' }).set('authorization', await notifier());
    expect(byIds.body.items.map((c: { id: string }) => c.id)).toEqual(['alice', 'mia']);
    const bySlack = await http().get('/v1/notifier/contacts').query({ slackUserId: 'UMIA01' }).set('authorization', await notifier());
    expect(bySlack.body.items).toEqual([expect.objectContaining({ id: 'mia', active: true, kind: 'person' })]);
    const byGroup = await http().get('/v1/notifier/contacts').query({ group: 'admins' }).set('authorization', await notifier());
    expect(byGroup.body.items.map((c: { id: string }) => c.id)).toEqual(['mia', 'otto']);
  });

  it('refuses a person linking a Slack user to their identity (whose review a click becomes is an admin decision)', async () => {
    const res = await http().put('/v1/identities/alice/notification-settings').set('authorization', await as('alice', ['requester'])).send({ slackUserId: 'UMIA01' });
    expect(res.status).toBe(403);
  });

  it("refuses a person changing someone else's settings and one Slack user linked to two identities", async () => {
    expect((await http().put('/v1/identities/mia/notification-settings').set('authorization', await as('alice', ['requester'])).send({ notify: ['email'] })).status).toBe(403);
    const admin = await as('root', ['admin']);
    await http().put('/v1/identities/mia/notification-settings').set('authorization', admin).send({ slackUserId: 'UMIA01' });
    const taken = await http().put('/v1/identities/otto/notification-settings').set('authorization', admin).send({ slackUserId: 'UMIA01' });
    expect(taken.status).toBe(409);
    expect((await http().put('/v1/identities/otto/notification-settings').set('authorization', admin).send({ notify: ['fax'] })).status).toBe(400);
  });

  it('refuses contacts to a person, and an ambiguous or malformed contacts query', async () => {
    expect((await http().get('/v1/notifier/contacts').query({ ids: 'mia' }).set('authorization', await as('mia', ['admin']))).status).toBe(403);
    expect((await http().get('/v1/notifier/contacts').query({ ids: 'mia', group: 'admins' }).set('authorization', await notifier())).status).toBe(400);
    expect((await http().get('/v1/notifier/contacts').set('authorization', await notifier())).status).toBe(400);
    expect((await http().get('/v1/notifier/contacts').query({ slackUserId: 'not-slack' }).set('authorization', await notifier())).status).toBe(400);
  });
});
