import type { INestApplication } from '@nestjs/common';
import { FORWARDS, START, EventStoreDBClient } from '@eventstore/db-client';
import request from 'supertest';
import { loadConfig } from '@kairos/config';
import { createServiceApp } from '@kairos/http';
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
// Submission goes through the real request service, which asks this service's policy engine.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { config as requestConfigSpec } from '../../request-service/src/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { RequestServiceModule } from '../../request-service/src/request-service.module';
import { ApprovalPolicyServiceModule } from '../src/approval-policy-service.module';
import { config as policyConfigSpec } from '../src/config';
import { ensureKairosTopics } from '@kairos/messaging';

describe('the catalogue for requesters', () => {
  let db: TestDatabase;
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let issuer: TestIssuer;
  let policyApp: INestApplication;
  let requestApp: INestApplication;
  let esdb: EventStoreDBClient;
  const t: Record<string, string> = {};

  const policy = () => request(policyApp.getHttpServer());
  const catalogue = (token: string, query = '') => policy().get(`/v1/catalogue${query}`).set('authorization', `Bearer ${token}`);
  const submit = (token: string, body: object) =>
    request(requestApp.getHttpServer()).post('/v1/access-requests').set('authorization', `Bearer ${token}`).send(body);
  const admin = (method: 'post' | 'put', path: string, body: object) =>
    policy()[method](path).set('authorization', `Bearer ${t.admin}`).send(body);

  const resource = (id: string, tier: number, extra: object = {}) => ({
    id,
    name: `${id} database`,
    connector: 'postgres',
    target: `${id.replace(/-/g, '_')}_role`,
    owners: ['owen'],
    allowedRoles: ['read', 'write'],
    tier,
    ...extra,
  });

  beforeAll(async () => {
    [db, broker, eventstore, issuer] = await Promise.all([
      createTestDatabase(),
      startTestKafka(),
      startTestEventStore(),
      startTestIssuer(),
    ]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(broker.brokers);
    const common = {
      ...authEnv(issuer),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      LOG_LEVEL: 'error',
      PORT: '0',
      EVENTSTORE_URL: eventstore.connectionString,
    };
    policyApp = await createServiceApp(
      ApprovalPolicyServiceModule.forRoot(loadConfig(policyConfigSpec, { ...common, ...messageKeysEnv('approval-policy-service') })),
      { title: 'policy', description: 'policy' },
    );
    await policyApp.listen(0, '127.0.0.1');
    await ApprovalPolicyServiceModule.startInbox(policyApp);
    const policyUrl = `http://127.0.0.1:${policyApp.getHttpServer().address().port}`;
    requestApp = await createServiceApp(
      RequestServiceModule.forRoot(
        loadConfig(requestConfigSpec, { ...common, ...messageKeysEnv('request-service'), APPROVAL_POLICY_URL: policyUrl }),
      ),
      { title: 'requests', description: 'requests' },
    );
    await requestApp.init();
    esdb = EventStoreDBClient.connectionString(eventstore.connectionString);

    t.admin = await issuer.token('root', ['admin']);
    t.alice = await issuer.token('alice', ['requester']);
    t.carl = await issuer.token('carl', ['requester']);
    t.mia = await issuer.token('mia', ['requester', 'approver']);
    const directory = {
      identities: [
        { id: 'alice', kind: 'person', displayName: 'Alice', managerId: 'mia', groups: ['payments'] },
        { id: 'mia', kind: 'person', displayName: 'Mia Manager', managerId: 'ceo', groups: ['payments'] },
        { id: 'ceo', kind: 'person', displayName: 'Ceo' },
        { id: 'carl', kind: 'person', displayName: 'Carl', managerId: 'mia', groups: ['contractors'] },
        { id: 'owen', kind: 'person', displayName: 'Owen Owner', managerId: 'mia' },
        { id: 'root', kind: 'person', displayName: 'Root' },
      ],
    };
    expect((await admin('post', '/v1/directory/import', directory)).status).toBe(200);
    expect((await admin('post', '/v1/resources', resource('open-db', 0))).status).toBe(201);
    expect((await admin('post', '/v1/resources', resource('ledger', 1, { requestableBy: ['payments'] }))).status).toBe(201);
    expect((await admin('post', '/v1/resources', resource('vault', 3, { requestableBy: ['payments'] }))).status).toBe(201);
    expect((await admin('post', '/v1/resources', resource('solo', 3, { owners: ['alice'] }))).status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await esdb?.dispose();
    await requestApp?.close();
    await policyApp?.close();
    await Promise.all([broker?.close(), eventstore?.close(), issuer?.close()]);
    await db?.drop();
  }, 120_000);

  it("shows a requester only what their groups may request, with owners' names, roles and durations", async () => {
    const forAlice = await catalogue(t.alice!);
    expect(forAlice.status).toBe(200);
    expect(forAlice.body.items.map((item: { id: string }) => item.id)).toEqual(['ledger', 'open-db', 'solo', 'vault']);
    const ledger = forAlice.body.items[0];
    expect(ledger).toMatchObject({
      name: 'ledger database',
      tier: 1,
      owners: [{ id: 'owen', displayName: 'Owen Owner' }],
      roles: ['read', 'write'],
      durations: { default: expect.any(String), maximum: 'P7D', presets: expect.any(Array) },
      justificationRequired: true,
      problems: [],
      myAccess: [],
    });

    const forCarl = await catalogue(t.carl!);
    expect(forCarl.body.items.map((item: { id: string }) => item.id)).toEqual(['open-db', 'solo']);
    expect(forCarl.body.total).toBe(2);
  });

  it('resolves who would approve for the caller, as the policy engine would at submission', async () => {
    const forAlice = (await catalogue(t.alice!, '?query=ledger')).body.items[0];
    expect(forAlice.approval).toEqual({
      required: true,
      mode: 'manager',
      steps: [{ name: 'manager', mode: 'manager', approvers: [{ id: 'mia', displayName: 'Mia Manager' }], required: 1 }],
    });
    // The same resource asks someone else for Mia: her own manager.
    const forMia = (await catalogue(t.mia!, '?query=ledger')).body.items[0];
    expect(forMia.approval.steps[0].approvers).toEqual([{ id: 'ceo', displayName: 'Ceo' }]);
    const open = (await catalogue(t.alice!, '?tier=0')).body.items;
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ id: 'open-db', approval: { required: false, mode: 'automatic', steps: [] } });
  });

  it('says why a resource could not be requested now instead of hiding it (no eligible approver)', async () => {
    // Tier 3 asks the resource owners, and Alice is the only owner of solo: nobody could approve her.
    const solo = (await catalogue(t.alice!, '?query=solo')).body.items[0];
    expect(solo.approval).toBeUndefined();
    expect(solo.problems).toEqual([{ code: 'NO_ELIGIBLE_APPROVER', message: expect.stringMatching(/no owner other than the requester/) }]);
    // For Carl the same resource is fine: Alice owns it.
    expect((await catalogue(t.carl!, '?query=solo')).body.items[0]).toMatchObject({ problems: [], approval: { required: true } });
  });

  it('matches every word of the query against id, name and roles, and filters by tier', async () => {
    expect((await catalogue(t.alice!, '?query=ledger%20write')).body.items.map((i: { id: string }) => i.id)).toEqual(['ledger']);
    expect((await catalogue(t.alice!, '?query=ledger%20admin')).body.items).toEqual([]);
    expect((await catalogue(t.alice!, '?tier=1')).body.items.map((i: { id: string }) => i.id)).toEqual(['ledger']);
  });

  it('does not reveal a restricted resource to an outsider who searches for it by name', async () => {
    const res = await catalogue(t.carl!, '?query=ledger');
    expect(res.body).toMatchObject({ items: [], total: 0 });
  });

  it('refuses a bad tier or an oversized query with 400, and an anonymous caller with 401', async () => {
    for (const query of ['?tier=9', '?tier=x', `?query=${'x'.repeat(300)}`, '?limit=0']) {
      const res = await catalogue(t.alice!, query);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await policy().get('/v1/catalogue')).status).toBe(401);
  });

  it("refuses a request for a resource the requester's groups may not request, and records nothing", async () => {
    const res = await submit(t.carl!, {
      items: [{ resourceId: 'ledger', role: 'read' }],
      justification: 'INC-9: curious',
      duration: 'PT1H',
    });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.problems).toEqual([
      { itemId: expect.any(String), code: 'NOT_ALLOWED_TO_REQUEST', message: expect.stringMatching(/carl is in none of the groups/) },
    ]);
    // Nothing about the resource beyond its refusal: no roles, no approvers, no limits.
    expect(JSON.stringify(res.body)).not.toMatch(/owen|mia|P7D/);
    const streams: string[] = [];
    for await (const event of esdb.readAll({ fromPosition: START, direction: FORWARDS })) {
      if (event.event?.streamId.startsWith('access-request-')) streams.push(event.event.streamId);
    }
    expect(streams).toEqual([]);
  });

  it('refuses a requestableBy naming a group the directory does not have (a typo would lock everyone out)', async () => {
    const res = await admin('post', '/v1/resources', resource('typo-db', 1, { requestableBy: ['paymnets'] }));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'requestableBy', messages: ['no group paymnets in the directory'] }]);
    const bad = await admin('put', '/v1/resources/ledger', resource('ledger', 1, { requestableBy: ['ok', 'not an id!'] }));
    expect(bad.status).toBe(400);
  });

  it('refuses a target its connector can never act on, naming the field (attack: handing out a built-in pg_ role through the catalogue)', async () => {
    const res = await admin('post', '/v1/resources', resource('files-db', 0, { target: 'pg_read_server_files' }));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(res.body.errors).toEqual([{ field: 'target', messages: [expect.stringMatching(/^not a postgres target \(<role>, <role>\?mode=login or <role>\?mode=credentials.*refusing unsafe target role name "pg_read_server_files"/)] }]);
    // Nothing saved; and a replacement is held to the same rule.
    expect((await policy().get('/v1/resources/files-db').set('authorization', `Bearer ${t.admin}`)).status).toBe(404);
    const { id: _id, ...body } = resource('ledger', 1, { requestableBy: ['payments'], target: 'ledger_role?mode=superuser' });
    const replaced = await admin('put', '/v1/resources/ledger', body);
    expect(replaced.status).toBe(400);
    expect(replaced.body.errors.map((e: { field: string }) => e.field)).toEqual(['target']);
  });

  it.each([
    ['postgres', 'orders; DROP ROLE x', 'not a postgres target'],
    ['ldap', 'orders-admins', 'the ldap target must be a group DN'],
    ['github', 'acme/../../user', 'the github target must be <org>/<team-slug>'],
    ['webhook', 'line\nbreak', 'the webhook target is empty or has control characters'],
  ])('refuses a bad %s target %j with 400 naming the target', async (connector, target, message) => {
    const res = await admin('post', '/v1/resources', resource(`bad-${connector}`, 0, { connector, target }));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'target', messages: [expect.stringContaining(message)] }]);
  });

  it('accepts each connector\'s own syntax, and tells requesters which resources hand out short-lived credentials', async () => {
    for (const [connector, target] of [
      ['ldap', 'cn=orders-admins,ou=groups,dc=example,dc=org'],
      ['github', 'acme/orders'],
      ['postgres', 'ledger_role?mode=credentials'],
    ] as const) {
      const res = await admin('post', '/v1/resources', resource(`good-${connector}`, 0, { connector, target }));
      expect(res.status).toBe(201);
    }
    const items = (await catalogue(t.alice!, '?query=good')).body.items as { id: string; issuesCredentials: boolean }[];
    expect(Object.fromEntries(items.map((i) => [i.id, i.issuesCredentials]))).toEqual({ 'good-github': false, 'good-ldap': false, 'good-postgres': true });
  });

  it("lets a member request it, and then shows the requester's own current access in the catalogue", async () => {
    const res = await submit(t.alice!, {
      items: [{ resourceId: 'ledger', role: 'read' }],
      justification: 'INC-10: reconcile',
      duration: 'PT2H',
    });
    expect(res.status).toBe(201);
    const entry = await eventually(async () => {
      const item = (await catalogue(t.alice!, '?query=ledger')).body.items[0];
      return item.myAccess.length > 0 && item;
    }, 'alice sees her pending request in the catalogue');
    expect(entry.myAccess).toEqual([
      {
        requestId: res.body.requestId,
        itemId: res.body.items[0].itemId,
        role: 'read',
        status: 'awaiting_approval',
        duration: 'PT2H',
        pendingExpiresAt: expect.any(String),
      },
    ]);
    // Only her own: Mia, in the same group, sees none of it.
    expect((await catalogue(t.mia!, '?query=ledger')).body.items[0].myAccess).toEqual([]);
  });
});
