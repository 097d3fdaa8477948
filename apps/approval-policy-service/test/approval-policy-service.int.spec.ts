import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { Role } from '@kairos/auth';
import { loadConfig } from '@kairos/config';
import { CLOUDEVENTS_SOURCE, CONNECTOR_NAMES, CONNECTOR_TARGETS, TOPICS, type AccessRequestEvent, type ItemPolicySnapshot } from '@kairos/contracts';
import { createServiceApp } from '@kairos/http';
import { contractSchemas, headerValue, MessagePublisher, MessageSigner, ensureKairosTopics } from '@kairos/messaging';
import {
  authEnv,
  createTestDatabase,
  eventually,
  startTestIssuer,
  startTestEventStore,
  startTestKafka,
  type TestDatabase,
  type TestIssuer,
  messageKeysEnv,
  testMessageKeys,
} from '@kairos/testing';
import { ApprovalPolicyServiceModule } from '../src/approval-policy-service.module';
import { config } from '../src/config';

const T0 = new Date('2030-01-07T09:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms).toISOString();
const HOUR = 3_600_000;

const directoryImport = {
  identities: [
    { id: 'alice', kind: 'person', displayName: 'Alice', email: 'alice@example.com', managerId: 'mia', groups: ['engineering'] },
    { id: 'mia', kind: 'person', displayName: 'Mia', managerId: 'ceo', groups: ['engineering'] },
    { id: 'ceo', kind: 'person', displayName: 'Ceo' },
    { id: 'owen', kind: 'person', displayName: 'Owen', managerId: 'mia' },
    { id: 'olga', kind: 'person', displayName: 'Olga', managerId: 'mia' },
    { id: 'sec1', kind: 'person', displayName: 'Sec One', managerId: 'ceo' },
    { id: 'sec2', kind: 'person', displayName: 'Sec Two', managerId: 'ceo' },
    { id: 'sec3', kind: 'person', displayName: 'Sec Three', managerId: 'ceo' },
    { id: 'carl', kind: 'person', displayName: 'Carl', managerId: 'mia', groups: ['contractors'] },
    { id: 'bob', kind: 'person', displayName: 'Bob', managerId: 'ceo' },
    { id: 'build-bot', kind: 'service', displayName: 'Build bot', owner: 'alice', groups: ['ci'] },
  ],
  groups: [{ id: 'security', name: 'Security', members: ['sec1', 'sec2', 'sec3'] }],
};

const resourceBody = (tier: number, extra: Record<string, unknown> = {}) => ({
  id: `db-tier-${tier}`,
  name: `Database tier ${tier}`,
  connector: 'postgres',
  target: `db_tier_${tier}`,
  owners: ['owen', 'olga'],
  allowedRoles: ['read', 'write'],
  tier,
  breakGlassAllowed: true,
  ...extra,
});

describe('approval-policy-service', () => {
  let issuer: TestIssuer;
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let streams: EventStoreDBClient;
  let db: TestDatabase;
  let app: INestApplication;
  let dataSource: DataSource;
  let kafka: Kafka;
  let publisher: MessagePublisher;
  let decisionsReader: Consumer;
  const decisions: { key: string | null; id?: string; type?: string; data: Record<string, unknown> }[] = [];
  const clock = { at: T0, now: () => clock.at };

  const http = () => request(app.getHttpServer());
  const token = (sub: string, roles: Role[], kind: 'person' | 'service' = 'person') => issuer.token(sub, roles, { kind });
  const as = async (sub: string, roles: Role[] = ['requester', 'approver'], kind: 'person' | 'service' = 'person') =>
    `Bearer ${await token(sub, roles, kind)}`;

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
      ...messageKeysEnv('approval-policy-service'),
    });
    app = await createServiceApp(ApprovalPolicyServiceModule.forRoot(settings, { clock }), { title: 'test', description: 'test' });
    await app.init();
    await ApprovalPolicyServiceModule.startInbox(app);
    dataSource = app.get(DataSource);
    kafka = new Kafka({ clientId: 'test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
    publisher = new MessagePublisher(kafka, contractSchemas, MessageSigner.of(testMessageKeys().keys['request-service']));
    decisionsReader = kafka.consumer({ groupId: 'test-decisions-reader' });
    await decisionsReader.connect();
    await decisionsReader.subscribe({ topic: TOPICS.approvalDecisions, fromBeginning: true });
    await decisionsReader.run({
      eachMessage: async ({ message }) => {
        decisions.push({
          key: message.key?.toString() ?? null,
          id: headerValue(message.headers, 'ce_id'),
          type: headerValue(message.headers, 'ce_type'),
          data: JSON.parse(message.value?.toString() ?? '{}'),
        });
      },
    });

    const admin = await as('root', ['admin']);
    expect((await http().post('/v1/directory/import').set('authorization', admin).send(directoryImport)).status).toBe(200);
    for (const tier of [0, 1, 2, 3, 4]) {
      expect((await http().post('/v1/resources').set('authorization', admin).send(resourceBody(tier))).status).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await decisionsReader?.disconnect();
    await publisher?.disconnect();
    await app?.close();
    await broker?.close();
    await streams?.dispose();
    await eventstore?.close();
    await db?.drop();
    await issuer?.close();
  });

  const evaluation = (requester: string, resourceId: string, extra: Record<string, unknown> = {}) => ({
    requester: { id: requester, kind: 'person' },
    items: [{ itemId: 'item-1', resourceId, role: 'read' }],
    justification: 'INC-42: investigate slow checkout',
    breakGlass: false,
    ...extra,
  });

  async function evaluate(requester: string, resourceId: string, extra: Record<string, unknown> = {}, caller = requester) {
    const roles: Role[] = caller === 'root-admin' ? ['admin'] : ['requester'];
    return http()
      .post('/v1/policy/evaluations')
      .set('authorization', await as(caller, roles))
      .send(evaluation(requester, resourceId, extra));
  }

  async function snapshotFor(
    requester: string,
    resourceId: string,
    extra: Record<string, unknown> = {},
  ): Promise<{ duration: string; policy: ItemPolicySnapshot }> {
    const res = await evaluate(requester, resourceId, extra, 'root-admin');
    expect(res.status).toBe(200);
    return res.body.items[0];
  }

  /** As request-service does: appended to the request's stream (the truth reviews are judged by), then relayed. */
  async function publish(requestId: string, events: AccessRequestEvent[]): Promise<void> {
    await streams.appendToStream(
      `access-request-${requestId}`,
      events.map((event) => jsonEvent({ type: event.type, data: event.data as never })),
    );
    await publisher.publish(
      events.map((event) => ({
        topic: TOPICS.accessRequestEvents,
        key: requestId,
        id: randomUUID(),
        type: event.type,
        subject: requestId,
        time: T0.toISOString(),
        source: CLOUDEVENTS_SOURCE,
        data: event.data,
      })),
    );
  }

  /** Publishes AccessRequested for one item evaluated by this service, and waits for the read copy. */
  async function submitted(
    requester: string,
    resourceId: string,
    options: { breakGlass?: boolean; duration?: string; kind?: 'person' | 'service'; requestedBy?: string } = {},
  ) {
    const requestId = randomUUID();
    const { duration, policy } = await snapshotFor(requester, resourceId, {
      breakGlass: options.breakGlass ?? false,
      requester: { id: requester, kind: options.kind ?? 'person' },
      ...(options.duration ? { duration: options.duration } : {}),
    });
    await publish(requestId, [
      {
        type: 'AccessRequested',
        data: {
          requestId,
          requester: { id: requester, kind: options.kind ?? 'person' },
          requestedBy: options.requestedBy ?? requester,
          onBehalf: (options.requestedBy ?? requester) !== requester,
          justification: 'INC-42: investigate slow checkout',
          duration,
          ticket: 'INC-42',
          breakGlass: options.breakGlass ?? false,
          items: [{ itemId: 'item-1', resourceId, role: 'read', policy, pendingExpiresAt: at(12 * HOUR) }],
          requestedAt: T0.toISOString(),
        },
      },
    ]);
    await seen(requestId);
    return { requestId, policy, duration };
  }

  async function seen(requestId: string, check: (data: any) => boolean = () => true) {
    await eventually(async () => {
      const rows = await dataSource.query('SELECT data FROM request_states WHERE request_id = $1', [requestId]);
      return rows.length === 1 && check(rows[0].data);
    }, `read copy of ${requestId}`);
  }

  async function review(requestId: string, reviewer: string, body: Record<string, unknown> = {}) {
    return http()
      .post(`/v1/access-requests/${requestId}/reviews`)
      .set('authorization', await as(reviewer, ['approver']))
      .send({ itemId: 'item-1', decision: 'approve', ...body });
  }

  const recorded = (requestId: string, reviewerId: string, step: number, stepName: string): AccessRequestEvent => ({
    type: 'ReviewRecorded',
    data: {
      requestId,
      itemId: 'item-1',
      reviewId: randomUUID(),
      reviewerId,
      decision: 'approve',
      subject: 'approval',
      step,
      stepName,
      submittedAt: T0.toISOString(),
      recordedAt: T0.toISOString(),
    },
  });
  const stepPassed = (requestId: string, step: number, stepName: string, approvedBy: string[]): AccessRequestEvent => ({
    type: 'ApprovalStepPassed',
    data: { requestId, itemId: 'item-1', step, stepName, approvedBy, passedAt: T0.toISOString() },
  });

  it('is ready and documents its API', async () => {
    expect((await http().get('/health/ready')).status).toBe(200);
    const docs = await http().get('/docs-json');
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/policy/evaluations',
        '/v1/resources',
        '/v1/tiers/{tier}',
        '/v1/identities',
        '/v1/groups',
        '/v1/directory/import',
        '/v1/reviews',
        '/v1/access-requests/{id}/reviews',
      ]),
    );
  });

  describe('the catalogue (admin)', () => {
    it('creates, reads, replaces and deletes a resource, bumping the policy version each time', async () => {
      const admin = await as('root', ['admin']);
      const before = (await http().get('/v1/resources').set('authorization', admin)).body.policyVersion;
      const created = await http()
        .post('/v1/resources')
        .set('authorization', admin)
        .send(resourceBody(1, { id: 'crud-db' }));
      expect(created.status).toBe(201);
      expect(created.body.policyVersion).toBe(before + 1);
      expect((await http().get('/v1/resources/crud-db').set('authorization', admin)).body).toMatchObject({ id: 'crud-db', tier: 1 });
      const { id: _id, ...body } = resourceBody(2, { name: 'Renamed' });
      const replaced = await http().put('/v1/resources/crud-db').set('authorization', admin).send(body);
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ name: 'Renamed', tier: 2, policyVersion: before + 2 });
      expect(
        (
          await http()
            .post('/v1/resources')
            .set('authorization', admin)
            .send(resourceBody(1, { id: 'crud-db' }))
        ).status,
      ).toBe(409);
      expect((await http().delete('/v1/resources/crud-db').set('authorization', admin)).status).toBe(204);
      expect((await http().get('/v1/resources/crud-db').set('authorization', admin)).status).toBe(404);
      expect((await http().get('/v1/resources').set('authorization', admin)).body.policyVersion).toBe(before + 3);
    });

    it('answers bad resource input with problem+json listing each field, settings included', async () => {
      const res = await http()
        .post('/v1/resources')
        .set('authorization', await as('root', ['admin']))
        .send(resourceBody(7, { id: 'bad db', owners: [], settings: { maxDuration: 'P1M', approval: { mode: 'group', required: 0 } } }));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body.errors.map((error: { field: string }) => error.field)).toEqual(expect.arrayContaining(['id', 'owners', 'tier']));
      const settings = await http()
        .post('/v1/resources')
        .set('authorization', await as('root', ['admin']))
        .send(resourceBody(1, { id: 'bad-settings', settings: { maxDuration: 'P1M', approval: { mode: 'group', required: 0 } } }));
      expect(settings.status).toBe(400);
      expect(settings.body.errors.map((error: { field: string }) => error.field)).toEqual([
        'settings.maxDuration',
        'settings.approval',
        'settings.approval',
      ]);
    });

    it('accepts every connector of the one list and refuses any other (a resource pointing at an unknown connector)', async () => {
      const admin = await as('root', ['admin']);
      for (const connector of CONNECTOR_NAMES) {
        const res = await http()
          .post('/v1/resources')
          .set('authorization', admin)
          .send(resourceBody(1, { id: `via-${connector}`, connector, target: CONNECTOR_TARGETS[connector].example }));
        expect([connector, res.status]).toEqual([connector, 201]);
      }
      const unknown = await http().post('/v1/resources').set('authorization', admin).send(resourceBody(1, { id: 'via-ftp', connector: 'ftp' }));
      expect(unknown.status).toBe(400);
      expect(unknown.headers['content-type']).toMatch(/problem\+json/);
      expect(unknown.body.errors.map((error: { field: string }) => error.field)).toEqual(['connector']);
    });

    it('seeds the five tiers with the defaults and lets an admin edit one', async () => {
      const admin = await as('root', ['admin']);
      const tiers = await http().get('/v1/tiers').set('authorization', admin);
      expect(tiers.body.items.map((t: { tier: number }) => t.tier)).toEqual([0, 1, 2, 3, 4]);
      expect(tiers.body.items[4].settings.approval.steps).toHaveLength(3);
      const tier0 = tiers.body.items[0].settings;
      const edited = await http()
        .put('/v1/tiers/0')
        .set('authorization', admin)
        .send({ ...tier0, defaultDuration: 'PT2H' });
      expect(edited.status).toBe(200);
      expect(edited.body.policyVersion).toBeGreaterThan(tiers.body.policyVersion);
      expect((await snapshotFor('alice', 'db-tier-0')).duration).toBe('PT2H');
      await http().put('/v1/tiers/0').set('authorization', admin).send(tier0);
      const bad = await http()
        .put('/v1/tiers/0')
        .set('authorization', admin)
        .send({ ...tier0, pendingTtl: 'soon', colour: 'red' });
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['settings.colour', 'settings.pendingTtl']);
      expect((await http().put('/v1/tiers/9').set('authorization', admin).send(tier0)).status).toBe(404);
    });

    it('rejects a non-admin editing the catalogue', async () => {
      const approver = await as('owen', ['approver', 'requester']);
      for (const res of [
        await http()
          .post('/v1/resources')
          .set('authorization', approver)
          .send(resourceBody(0, { id: 'sneaky' })),
        await http().put('/v1/tiers/4').set('authorization', approver).send({}),
        await http().delete('/v1/resources/db-tier-4').set('authorization', approver),
        await http().post('/v1/identities').set('authorization', approver).send({ id: 'x', kind: 'person', displayName: 'X' }),
        await http()
          .put('/v1/groups/security')
          .set('authorization', approver)
          .send({ name: 'Security', members: ['owen'] }),
        await http().post('/v1/directory/import').set('authorization', approver).send(directoryImport),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
      expect(
        (
          await http()
            .get('/v1/resources/sneaky')
            .set('authorization', await as('root', ['admin']))
        ).status,
      ).toBe(404);
    });
  });

  describe('the directory (admin)', () => {
    it('creates, replaces and deletes identities and groups', async () => {
      const admin = await as('root', ['admin']);
      expect(
        (
          await http()
            .post('/v1/identities')
            .set('authorization', admin)
            .send({ id: 'zoe', kind: 'person', displayName: 'Zoe', managerId: 'mia', groups: ['temp'] })
        ).status,
      ).toBe(201);
      expect((await http().get('/v1/identities/zoe').set('authorization', admin)).body).toMatchObject({
        managerId: 'mia',
        groups: ['temp'],
        active: true,
      });
      expect(
        (await http().put('/v1/identities/zoe').set('authorization', admin).send({ kind: 'person', displayName: 'Zoe Z', active: false }))
          .body,
      ).toMatchObject({ displayName: 'Zoe Z', active: false, groups: [] });
      expect(
        (
          await http()
            .post('/v1/groups')
            .set('authorization', admin)
            .send({ id: 'oncall', name: 'On call', members: ['zoe', 'bob'] })
        ).body,
      ).toEqual({ id: 'oncall', name: 'On call', members: ['bob', 'zoe'] });
      expect(
        (
          await http()
            .put('/v1/groups/oncall')
            .set('authorization', admin)
            .send({ name: 'On call', members: ['ghost'] })
        ).status,
      ).toBe(400);
      expect((await http().delete('/v1/groups/oncall').set('authorization', admin)).status).toBe(204);
      expect((await http().delete('/v1/identities/zoe').set('authorization', admin)).status).toBe(204);
      expect((await http().get('/v1/identities/zoe').set('authorization', admin)).status).toBe(404);
    });

    it('refuses a service account without an owner and a manager that does not exist', async () => {
      const res = await http()
        .post('/v1/identities')
        .set('authorization', await as('root', ['admin']))
        .send({ id: 'lonely-bot', kind: 'service', displayName: 'Lonely', managerId: 'ghost' });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['managerId', 'owner']);
    });

    it('answers a bad CSV import with every line in error and imports nothing', async () => {
      const admin = await as('root', ['admin']);
      const csv = [
        'id,kind,displayName,email,managerId,groups',
        'newcomer,person,New,,,',
        'robot,service,Robot,,,',
        'odd,alien,Odd,,,',
      ].join('\n');
      const res = await http().post('/v1/directory/import').set('authorization', admin).set('content-type', 'text/csv').send(csv);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('DIRECTORY_IMPORT_INVALID');
      expect(res.body.errors.map((e: { line: number }) => e.line)).toEqual([3, 4]);
      expect((await http().get('/v1/identities/newcomer').set('authorization', admin)).status).toBe(404);
    });

    it('points at the bad entries of a JSON import', async () => {
      const res = await http()
        .post('/v1/directory/import')
        .set('authorization', await as('root', ['admin']))
        .send({
          identities: [
            ...directoryImport.identities,
            { id: 'x', kind: 'person' },
            { id: 'y', kind: 'person', displayName: 'Y', managerId: 'nobody' },
          ],
        });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/identities/11', '/identities/12']);
    });

    it('imports a CSV export as the whole directory, deactivating whoever is missing', async () => {
      const admin = await as('root', ['admin']);
      const csv = [
        'id,kind,displayName,email,managerId,groups',
        ...directoryImport.identities.map(
          (i) =>
            `${i.id},${i.kind},${i.displayName},,${i.kind === 'service' ? (i as { owner?: string }).owner : ((i as { managerId?: string }).managerId ?? '')},${[...((i as { groups?: string[] }).groups ?? []), ...(i.id.startsWith('sec') ? ['security'] : [])].join(';')}`,
        ),
        'temp,person,Temp,,,',
      ].join('\n');
      const res = await http().post('/v1/directory/import').set('authorization', admin).set('content-type', 'text/csv').send(csv);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ identities: 12 });
      const again = await http().post('/v1/directory/import').set('authorization', admin).send(directoryImport);
      expect(again.body.deactivated).toBe(1);
      expect((await http().get('/v1/identities/temp').set('authorization', admin)).body.active).toBe(false);
      expect((await http().get('/v1/groups/security').set('authorization', admin)).body.members).toEqual(['sec1', 'sec2', 'sec3']);
    });
  });

  describe('evaluation', () => {
    it.each([
      [0, 'automatic', []],
      [1, 'manager', [['mia']]],
      [2, 'manager', [['mia']]],
      [3, 'steps', [['mia'], ['olga', 'owen']]],
      [4, 'steps', [['mia'], ['olga', 'owen'], ['sec1', 'sec2', 'sec3']]],
    ])('tier %i: %s with the approvers resolved', async (tier, mode, approvers) => {
      const res = await evaluate('alice', `db-tier-${tier}`, { duration: 'PT1H' });
      expect(res.status).toBe(200);
      const [item] = res.body.items;
      expect(item).toMatchObject({ itemId: 'item-1', duration: 'PT1H', policy: { tier, mode, target: { connector: 'postgres' } } });
      expect(item.policy.steps.map((step: { approvers: string[] }) => step.approvers)).toEqual(approvers);
      expect(item.policy.policyVersion).toBeGreaterThanOrEqual(6);
    });

    it('applies a group override to its members only', async () => {
      const admin = await as('root', ['admin']);
      await http()
        .post('/v1/resources')
        .set('authorization', admin)
        .send(
          resourceBody(1, {
            id: 'override-db',
            groupOverrides: {
              contractors: { maxDuration: 'PT2H', approval: { mode: 'steps', steps: [{ mode: 'manager' }, { mode: 'resource_owner' }] } },
            },
          }),
        );
      const carl = await evaluate('carl', 'override-db', { duration: 'PT1H' });
      expect(carl.body.items[0].policy).toMatchObject({ overrideGroup: 'contractors', maxDuration: 'PT2H', mode: 'steps' });
      expect((await evaluate('carl', 'override-db', { duration: 'PT3H' })).body.problems).toEqual([
        expect.objectContaining({ itemId: 'item-1', code: 'DURATION_OVER_MAXIMUM' }),
      ]);
      expect((await evaluate('alice', 'override-db', { duration: 'PT3H' })).body.items[0].policy).toMatchObject({
        mode: 'manager',
        maxDuration: 'P7D',
      });
    });

    it("routes a service account's approval to its owner", async () => {
      const res = await http()
        .post('/v1/policy/evaluations')
        .set('authorization', await as('build-bot', ['requester'], 'service'))
        .send({ ...evaluation('build-bot', 'db-tier-1'), requester: { id: 'build-bot', kind: 'service' } });
      expect(res.status).toBe(200);
      expect(res.body.items[0].policy.steps[0]).toMatchObject({ mode: 'manager', approvers: ['alice'] });
    });

    it('answers who the requester is, with their directory groups, next to the items', async () => {
      const alice = await evaluate('alice', 'db-tier-1');
      expect(alice.status).toBe(200);
      expect(alice.body.requester).toEqual({ id: 'alice', kind: 'person', groups: ['engineering'] });
      // Membership recorded on the group's side counts too.
      expect((await evaluate('sec1', 'db-tier-1')).body.requester).toEqual({ id: 'sec1', kind: 'person', groups: ['security'] });
      expect((await evaluate('bob', 'db-tier-1')).body.requester).toEqual({ id: 'bob', kind: 'person', groups: [] });
    });

    it('evaluates against the directory as it is now, whoever changed it: the API, an import or SQL by an operator', async () => {
      expect((await evaluate('olga', 'db-tier-1')).status).toBe(200);
      // An operator deactivates olga with SQL, behind the service's back: the next evaluation sees it.
      await dataSource.query(`UPDATE identities SET active = false WHERE id = 'olga'`);
      expect((await evaluate('olga', 'db-tier-1')).body.problems).toEqual([expect.objectContaining({ code: 'INACTIVE_REQUESTER' })]);
      await dataSource.query(`UPDATE identities SET active = true WHERE id = 'olga'`);
      expect((await evaluate('olga', 'db-tier-1')).status).toBe(200);
      // A group membership written by SQL counts at once too.
      await dataSource.query(`INSERT INTO group_members (group_id, identity_id) VALUES ('security', 'olga')`);
      expect((await evaluate('olga', 'db-tier-1')).body.requester.groups).toEqual(['security']);
      await dataSource.query(`DELETE FROM group_members WHERE group_id = 'security' AND identity_id = 'olga'`);
      expect((await evaluate('olga', 'db-tier-1')).body.requester.groups).toEqual([]);
    });

    it('evaluates against the catalogue as it is now: a resource changed by SQL is seen by the next evaluation', async () => {
      expect((await evaluate('alice', 'db-tier-1', { items: [{ itemId: 'item-1', resourceId: 'db-tier-1', role: 'write' }] })).status).toBe(200);
      await dataSource.query(`UPDATE resources SET allowed_roles = '["read"]'::jsonb WHERE id = 'db-tier-1'`);
      try {
        expect((await evaluate('alice', 'db-tier-1', { items: [{ itemId: 'item-1', resourceId: 'db-tier-1', role: 'write' }] })).body.problems).toEqual([
          expect.objectContaining({ code: 'ROLE_NOT_ALLOWED' }),
        ]);
      } finally {
        await dataSource.query(`UPDATE resources SET allowed_roles = '["read","write"]'::jsonb WHERE id = 'db-tier-1'`);
      }
      expect((await evaluate('alice', 'db-tier-1', { items: [{ itemId: 'item-1', resourceId: 'db-tier-1', role: 'write' }] })).status).toBe(200);
    });

    it('answers 422 problem+json listing every problem', async () => {
      const res = await evaluate('alice', 'db-tier-1', {
        justification: ' ',
        items: [
          { itemId: 'a', resourceId: 'nope', role: 'read' },
          { itemId: 'b', resourceId: 'db-tier-1', role: 'superuser' },
        ],
      });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body.problems.map((p: { itemId: string; code: string }) => `${p.itemId}:${p.code}`)).toEqual([
        'a:UNKNOWN_RESOURCE',
        'b:ROLE_NOT_ALLOWED',
        'b:JUSTIFICATION_REQUIRED',
      ]);
      const breakGlass = await evaluate('alice', 'db-tier-1', { breakGlass: true });
      expect(breakGlass.body.problems.map((p: { code: string }) => p.code)).toEqual(['BREAK_GLASS_NOT_ALLOWED']);
    });

    it('refuses a requester who is not in the directory', async () => {
      const res = await evaluate('stranger', 'db-tier-0');
      expect(res.status).toBe(422);
      expect(res.body.problems).toEqual([expect.objectContaining({ code: 'UNKNOWN_REQUESTER' })]);
    });

    it('answers malformed input with 400 listing the fields', async () => {
      const res = await http()
        .post('/v1/policy/evaluations')
        .set('authorization', await as('alice', ['requester']))
        .send({ requester: { id: 'alice', kind: 'robot' }, items: [{ itemId: 'x' }], breakGlass: 'yes', extra: 1 });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(
        expect.arrayContaining(['requester.kind', 'items.0.resourceId', 'items.0.role', 'justification', 'breakGlass', 'extra']),
      );
    });

    it("rejects a requester evaluating a request in someone else's name", async () => {
      const res = await evaluate('mia', 'db-tier-0', {}, 'alice');
      expect(res.status).toBe(403);
    });

    it('rejects an unauthenticated caller', async () => {
      expect((await http().post('/v1/policy/evaluations').send(evaluation('alice', 'db-tier-0'))).status).toBe(401);
    });
  });

  describe('reviews', () => {
    it("shows an approver's inbox with who, what, why, how long and the requester's history", async () => {
      const earlier = await submitted('alice', 'db-tier-2');
      await publish(earlier.requestId, [
        {
          type: 'ItemDenied',
          data: {
            requestId: earlier.requestId,
            itemId: 'item-1',
            reviewId: randomUUID(),
            deniedBy: 'mia',
            reason: 'not now',
            deniedAt: at(1),
          },
        },
      ]);
      await seen(earlier.requestId, (data) => data.items[0].status === 'denied');
      const { requestId } = await submitted('alice', 'db-tier-2', { duration: 'PT3H' });

      const res = await http()
        .get('/v1/reviews?assignee=me')
        .set('authorization', await as('mia', ['approver']));
      expect(res.status).toBe(200);
      const entry = res.body.items.find((item: { requestId: string }) => item.requestId === requestId);
      expect(entry).toMatchObject({
        kind: 'approval',
        requester: { id: 'alice', kind: 'person', displayName: 'Alice', managerId: 'mia' },
        resource: { id: 'db-tier-2', name: 'Database tier 2', role: 'read', tier: 2 },
        justification: 'INC-42: investigate slow checkout',
        ticket: 'INC-42',
        duration: 'PT3H',
        breakGlass: false,
        step: { index: 0, name: 'manager', required: 1, approvers: ['mia'] },
      });
      expect(entry.history).toEqual([expect.objectContaining({ requestId: earlier.requestId, outcome: 'denied' })]);
      expect(res.body.items.some((item: { requestId: string }) => item.requestId === earlier.requestId)).toBe(false);
      expect(
        (
          await http()
            .get('/v1/reviews')
            .set('authorization', await as('bob', ['approver']))
        ).body.items,
      ).toEqual([]);
    });

    it("rejects a requester reading someone else's inbox", async () => {
      const requester = await http()
        .get('/v1/reviews?assignee=mia')
        .set('authorization', await as('alice', ['requester']));
      expect(requester.status).toBe(403);
      const approver = await http()
        .get('/v1/reviews?assignee=mia')
        .set('authorization', await as('bob', ['approver']));
      expect(approver.status).toBe(403);
      const admin = await http()
        .get('/v1/reviews?assignee=mia')
        .set('authorization', await as('root', ['admin']));
      expect(admin.status).toBe(200);
    });

    it('sends an accepted review out on approval.decisions, keyed by request', async () => {
      const { requestId } = await submitted('alice', 'db-tier-1', { duration: 'PT4H' });
      const res = await review(requestId, 'mia', { comment: 'ok for the incident', shortenDurationTo: 'PT2H' });
      expect(res.status).toBe(202);
      const sent = await eventually(async () => decisions.find((d) => d.id === res.body.reviewId), 'ReviewSubmitted on approval.decisions');
      expect(sent).toEqual({
        key: requestId,
        id: res.body.reviewId,
        type: 'ReviewSubmitted',
        data: {
          requestId,
          itemId: 'item-1',
          reviewId: res.body.reviewId,
          reviewerId: 'mia',
          decision: 'approve',
          comment: 'ok for the incident',
          shortenDurationTo: 'PT2H',
          submittedAt: T0.toISOString(),
        },
      });
      expect(
        (
          await http()
            .get('/v1/reviews')
            .set('authorization', await as('mia', ['approver']))
        ).body.items.some((i: { requestId: string }) => i.requestId === requestId),
      ).toBe(false);
    });

    it("rejects approving one's own request", async () => {
      const { requestId } = await submitted('alice', 'db-tier-1');
      const res = await review(requestId, 'alice');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('SELF_REVIEW');
    });

    it('rejects approving a step one is not on', async () => {
      const { requestId } = await submitted('alice', 'db-tier-3');
      const res = await review(requestId, 'owen');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('NOT_ELIGIBLE_FOR_STEP');
    });

    it('rejects approving an item whose resource one does not own', async () => {
      const { requestId } = await submitted('alice', 'db-tier-3');
      await publish(requestId, [recorded(requestId, 'mia', 0, 'manager'), stepPassed(requestId, 0, 'manager', ['mia'])]);
      await seen(requestId, (data) => data.items[0].step === 1);
      const res = await review(requestId, 'bob');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('NOT_RESOURCE_OWNER');
      expect((await review(requestId, 'owen')).status).toBe(202);
    });

    it('rejects approving after the approval window', async () => {
      const { requestId } = await submitted('alice', 'db-tier-1');
      clock.at = new Date(T0.getTime() + 12 * HOUR);
      try {
        const res = await review(requestId, 'mia');
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('APPROVAL_WINDOW_CLOSED');
      } finally {
        clock.at = T0;
      }
    });

    it('rejects lengthening a duration', async () => {
      const { requestId } = await submitted('alice', 'db-tier-1', { duration: 'PT1H' });
      const longer = await review(requestId, 'mia', { shortenDurationTo: 'PT2H' });
      expect(longer.status).toBe(400);
      expect(longer.body.code).toBe('DURATION_LENGTHENED');
      const nonsense = await review(requestId, 'mia', { shortenDurationTo: 'soon' });
      expect(nonsense.status).toBe(400);
      expect(nonsense.body.code).toBe('DURATION_INVALID');
    });

    it('refuses a review of an item that is no longer waiting', async () => {
      const { requestId } = await submitted('alice', 'db-tier-1');
      await publish(requestId, [
        { type: 'ItemCancelled', data: { requestId, itemId: 'item-1', cancelledBy: 'alice', cancelledAt: at(1) } },
      ]);
      await seen(requestId, (data) => data.items[0].status === 'cancelled');
      const res = await review(requestId, 'mia');
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('ITEM_NOT_REVIEWABLE');
      expect((await review(randomUUID(), 'mia')).status).toBe(404);
    });

    it('accepts two approvers of an N-of-M step posting at once, and rejects voting twice to reach N', async () => {
      const { requestId } = await submitted('alice', 'db-tier-4');
      await publish(requestId, [
        recorded(requestId, 'mia', 0, 'manager'),
        stepPassed(requestId, 0, 'manager', ['mia']),
        recorded(requestId, 'owen', 1, 'resource owners'),
        stepPassed(requestId, 1, 'resource owners', ['owen']),
      ]);
      await seen(requestId, (data) => data.items[0].step === 2);
      const twice = await Promise.all([review(requestId, 'sec1'), review(requestId, 'sec1')]);
      expect(twice.map((res) => res.status).sort()).toEqual([202, 409]);
      expect(twice.find((res) => res.status === 409)?.body.code).toBe('ALREADY_VOTED');
      // The second distinct approval passes the 2-of-3 step; a third is no longer needed.
      const [second, third] = await Promise.all([review(requestId, 'sec2'), review(requestId, 'sec3')]);
      expect([second.status, third.status].sort()).toEqual([202, 409]);
      expect([second, third].find((res) => res.status === 409)?.body.code).toBe('ITEM_NOT_REVIEWABLE');
      await eventually(async () => decisions.filter((d) => d.key === requestId).length === 2, 'two distinct reviews sent');
      expect(new Set(decisions.filter((d) => d.key === requestId).map((d) => d.data.reviewerId)).size).toBe(2);
    });

    it('still refuses a second vote once the stream has recorded the first', async () => {
      const { requestId } = await submitted('alice', 'db-tier-4');
      await publish(requestId, [recorded(requestId, 'mia', 0, 'manager')]);
      await seen(requestId, (data) => data.items[0].reviews.some((r: { reviewerId: string }) => r.reviewerId === 'mia'));
      const res = await review(requestId, 'mia');
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('ALREADY_VOTED');
    });

    it('asks for break-glass ratification and accepts it from a ratifier', async () => {
      const { requestId, policy, duration } = await submitted('alice', 'db-tier-2', { breakGlass: true, duration: 'PT1H' });
      expect(policy.breakGlass).toMatchObject({ allowed: true, ratifiers: ['olga', 'owen'] });
      await publish(requestId, [
        {
          type: 'BreakGlassInvoked',
          data: {
            requestId,
            itemId: 'item-1',
            invokedBy: 'alice',
            ratifyBy: at(HOUR),
            ratifiers: ['olga', 'owen'],
            invokedAt: T0.toISOString(),
          },
        },
        {
          type: 'ItemApproved',
          data: {
            requestId,
            itemId: 'item-1',
            via: 'break_glass',
            duration,
            approvalExpiresAt: at(24 * HOUR),
            approvedAt: T0.toISOString(),
          },
        },
      ]);
      await seen(requestId, (data) => data.items[0].status === 'approved');
      const inbox = await http()
        .get('/v1/reviews')
        .set('authorization', await as('owen', ['approver']));
      expect(inbox.body.items.find((i: { requestId: string }) => i.requestId === requestId)).toMatchObject({
        kind: 'ratification',
        breakGlass: true,
        deadline: at(HOUR),
        step: { name: 'break-glass ratification', approvers: ['olga', 'owen'] },
      });
      expect((await review(requestId, 'mia')).body.code).toBe('NOT_ELIGIBLE_FOR_STEP');
      expect((await review(requestId, 'alice')).body.code).toBe('SELF_REVIEW');
      const ratified = await review(requestId, 'owen', { comment: 'incident confirmed' });
      expect(ratified.status).toBe(202);
      await eventually(async () => decisions.find((d) => d.id === ratified.body.reviewId), 'ratification sent');
      // A break-glass grant was never approved by a person: it must not make the next request automatic.
      expect((await snapshotFor('alice', 'db-tier-2')).policy.mode).toBe('manager');
    });

    it('reuses a prior approval while it is valid and asks a human again after', async () => {
      const { requestId, duration } = await submitted('carl', 'db-tier-3');
      await publish(requestId, [
        {
          type: 'ItemApproved',
          data: { requestId, itemId: 'item-1', via: 'reviews', duration, approvalExpiresAt: at(2 * HOUR), approvedAt: T0.toISOString() },
        },
      ]);
      await eventually(
        async () => (await dataSource.query('SELECT 1 FROM prior_approvals WHERE request_id = $1', [requestId])).length === 1,
        'prior approval',
      );
      const reused = await snapshotFor('carl', 'db-tier-3');
      expect(reused.policy).toMatchObject({
        mode: 'steps',
        reusesApproval: { requestId, itemId: 'item-1', approvalExpiresAt: at(2 * HOUR), approvedDuration: duration },
      });
      clock.at = new Date(T0.getTime() + 2 * HOUR);
      try {
        expect((await snapshotFor('carl', 'db-tier-3')).policy.reusesApproval).toBeUndefined();
      } finally {
        clock.at = T0;
      }
    });

    describe('attacks on the approval rules', () => {
      const admin = () => as('root', ['admin']);
      const person = (id: string, managerId: string) => ({ kind: 'person', displayName: id, managerId });

      it('refuses one person approving two sequential steps of one item (step 1 as manager, step 2 as owner)', async () => {
        // ann's manager is owen, who also owns db-tier-3: the two steps would otherwise be one person.
        expect((await http().post('/v1/identities').set('authorization', await admin()).send({ id: 'ann', ...person('ann', 'owen') })).status).toBe(201);
        const { requestId, policy } = await submitted('ann', 'db-tier-3');
        expect(policy.steps.map((step) => step.approvers)).toEqual([['owen'], ['olga', 'owen']]);
        expect((await review(requestId, 'owen')).status).toBe(202);
        const again = await review(requestId, 'owen');
        expect(again.status).toBe(403);
        expect(again.body.code).toBe('SEPARATION_OF_DUTIES');
        expect((await review(requestId, 'olga')).status).toBe(202);
      });

      it('accepts the next step a moment after the previous one, before any copy has caught up (read your writes)', async () => {
        const { requestId } = await submitted('alice', 'db-tier-3');
        expect((await review(requestId, 'mia')).status).toBe(202);
        // Nothing has recorded mia's approval on the stream yet: the step-2 owner is judged against step 2 anyway.
        const next = await review(requestId, 'owen');
        expect(next.status).toBe(202);
      });

      it('refuses an admin approving a request she raised on behalf of someone else', async () => {
        const { requestId } = await submitted('alice', 'db-tier-1', { requestedBy: 'mia' });
        const res = await review(requestId, 'mia');
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('OWN_ON_BEHALF_REQUEST');
      });

      it('refuses a manager deactivated after the request was submitted, though her token is still valid', async () => {
        const adminToken = await admin();
        expect((await http().post('/v1/identities').set('authorization', adminToken).send({ id: 'meg', kind: 'person', displayName: 'Meg' })).status).toBe(201);
        expect((await http().post('/v1/identities').set('authorization', adminToken).send({ id: 'dan', ...person('dan', 'meg') })).status).toBe(201);
        const { requestId, policy } = await submitted('dan', 'db-tier-1');
        expect(policy.steps[0]?.approvers).toEqual(['meg']);
        const token = await as('meg', ['approver']);
        expect((await http().put('/v1/identities/meg').set('authorization', adminToken).send({ kind: 'person', displayName: 'Meg', active: false })).status).toBe(200);
        const res = await http().post(`/v1/access-requests/${requestId}/reviews`).set('authorization', token).send({ itemId: 'item-1', decision: 'approve' });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('REVIEWER_INACTIVE');
        expect((await http().get('/v1/reviews').set('authorization', token)).body.items).toEqual([]);
      });

      it('refuses a service-account token whose subject is an approver', async () => {
        const { requestId } = await submitted('alice', 'db-tier-1');
        const res = await http()
          .post(`/v1/access-requests/${requestId}/reviews`)
          .set('authorization', await as('mia', ['approver'], 'service'))
          .send({ itemId: 'item-1', decision: 'approve' });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('REVIEWER_NOT_A_PERSON');
      });

      it('refuses a service account approving even with a token that claims it is a person', async () => {
        const { requestId } = await submitted('alice', 'db-tier-1');
        const res = await review(requestId, 'build-bot');
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('REVIEWER_NOT_A_PERSON');
      });

      it('refuses reusing a still-valid approval to lengthen access: 30 minutes approved, 8 hours asked', async () => {
        const { requestId } = await submitted('carl', 'db-tier-3', { duration: 'PT2H' });
        await publish(requestId, [
          {
            type: 'ItemApproved',
            data: { requestId, itemId: 'item-1', via: 'reviews', duration: 'PT30M', approvalExpiresAt: at(6 * HOUR), approvedAt: T0.toISOString() },
          },
        ]);
        await eventually(
          async () => (await dataSource.query('SELECT approved_duration FROM prior_approvals WHERE request_id = $1', [requestId]))[0]?.approved_duration === 'PT30M',
          'lent approval',
        );
        expect((await snapshotFor('carl', 'db-tier-3', { duration: 'PT8H' })).policy.reusesApproval).toBeUndefined();
        expect((await snapshotFor('carl', 'db-tier-3', { duration: 'PT30M' })).policy.reusesApproval).toMatchObject({ requestId, approvedDuration: 'PT30M' });
      });

      it.each([
        ['released', 'released'],
        ['revoked by an admin', 'revoked_by_admin'],
        ['cancelled', 'cancelled'],
      ] as const)('refuses lending the approval of an item that was %s', async (_name, reason) => {
        const { requestId } = await submitted('owen', 'db-tier-2', { duration: 'PT1H' });
        const grantId = `${requestId}:item-1:1`;
        await publish(requestId, [
          {
            type: 'ItemApproved',
            data: { requestId, itemId: 'item-1', via: 'reviews', duration: 'PT1H', approvalExpiresAt: at(6 * HOUR), approvedAt: T0.toISOString() },
          },
        ]);
        await eventually(async () => (await dataSource.query('SELECT 1 FROM prior_approvals WHERE request_id = $1', [requestId])).length === 1, 'lent');
        await publish(requestId, [
          {
            type: 'GrantRequested',
            data: {
              requestId,
              itemId: 'item-1',
              grantId,
              subject: { id: 'owen', kind: 'person' },
              resourceId: 'db-tier-2',
              role: 'read',
              target: { connector: 'postgres', target: 'db_tier_2' },
              duration: 'PT1H',
              breakGlass: false,
              requestedAt: at(1),
            },
          },
          {
            type: 'RevocationRequested',
            data: {
              requestId,
              itemId: 'item-1',
              grantId,
              reason,
              requestedBy: 'owen',
              subject: { id: 'owen', kind: 'person' },
              resourceId: 'db-tier-2',
              role: 'read',
              target: { connector: 'postgres', target: 'db_tier_2' },
              requestedAt: at(2),
            },
          },
        ]);
        await eventually(async () => (await dataSource.query('SELECT 1 FROM prior_approvals WHERE request_id = $1', [requestId])).length === 0, 'no longer lent');
        expect((await snapshotFor('owen', 'db-tier-2', { duration: 'PT1H' })).policy.reusesApproval).toBeUndefined();
      });

      it('asks the fallback approvers when the requester is the top of the org chart, and says so in the snapshot', async () => {
        const { policy } = await snapshotFor('ceo', 'db-tier-1');
        expect(policy.steps[0]).toMatchObject({ approvers: ['olga', 'owen'], fallback: { replaces: 'manager', source: 'resource owners' } });
      });
    });

    it('drops a redelivered event and dead-letters one for a request it never saw', async () => {
      const { requestId } = await submitted('alice', 'db-tier-4');
      const event = recorded(requestId, 'mia', 0, 'manager');
      const message = {
        topic: TOPICS.accessRequestEvents,
        key: requestId,
        id: randomUUID(),
        type: event.type,
        subject: requestId,
        time: T0.toISOString(),
        source: CLOUDEVENTS_SOURCE,
        data: event.data,
      };
      await publisher.publish([message]);
      await publisher.publish([message]);
      const orphan = randomUUID();
      await publish(orphan, [recorded(orphan, 'mia', 0, 'manager')]);
      await eventually(async () => {
        const rows = await dataSource.query(`SELECT outcome FROM messaging_inbox WHERE message_id = $1`, [message.id]);
        return rows.length === 1 && rows[0].outcome === 'processed';
      }, 'processed once');
      await seen(requestId, (data) => data.items[0].reviews.length === 1);
      await eventually(
        async () => (await dataSource.query(`SELECT 1 FROM messaging_inbox WHERE outcome = 'dead_lettered'`)).length === 1,
        'dead-lettered orphan',
      );
    });
  });
});
