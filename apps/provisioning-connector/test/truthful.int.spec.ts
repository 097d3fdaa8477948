import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import { Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { loadConfig } from '@kairos/config';
import type { AccessRequested, GrantRequested, ItemPolicySnapshot, RevocationRequested } from '@kairos/contracts';
import { TOPICS } from '@kairos/contracts';
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
import { config } from '../src/config';
import { ProvisioningConnectorModule } from '../src/provisioning-connector.module';
import { startProvisioningInbox } from '../src/adapters/kafka/provisioning.runtime';
import { verifySignature } from '../src/domain/signature';
import { identityRoleName } from '../src/domain/names';
import { event, grantRequested, isMember, RequestServicePublisher, revocationRequested, sql, unique, type Result } from './fixtures';

// The secret hidden in the webhook URL (userinfo and query string): it must never leave configuration.
const SECRET = `SECRET${randomBytes(8).toString('hex')}`;

const policy = (owners: string[]): ItemPolicySnapshot => ({
  policyId: 'billing-dashboard/tier-1',
  policyVersion: 1,
  tier: 1,
  mode: 'steps',
  steps: [
    { name: 'manager', mode: 'manager', approvers: ['maria'], required: 1 },
    { name: 'resource owners', mode: 'resource_owner', approvers: owners, required: 1 },
  ],
  approvalValidity: 'P1D',
  maxDuration: 'P7D',
  pendingTtl: 'P1D',
  justificationRequired: true,
  extensionRequiresApproval: true,
  breakGlass: { allowed: false, ratifyWithin: 'PT1H', ratifiers: [] },
  target: { connector: 'manual', target: 'billing-console' },
});

function accessRequested(grant: GrantRequested['data'], owners: string[], justification: string, requestedBy = grant.subject.id): AccessRequested['data'] {
  return {
    requestId: grant.requestId,
    requester: grant.subject,
    requestedBy,
    onBehalf: requestedBy !== grant.subject.id,
    justification,
    duration: grant.duration,
    breakGlass: false,
    items: [
      { itemId: grant.itemId, resourceId: grant.resourceId, role: grant.role, policy: { ...policy(owners), target: grant.target }, pendingExpiresAt: '2026-01-06T10:00:00.000Z' },
    ],
    requestedAt: '2026-01-05T10:00:00.000Z',
  };
}

describe('the provisioning connector tells the truth', () => {
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let issuer: TestIssuer;
  let db: TestDatabase;
  let target: TestDatabase;
  let app: INestApplication;
  let publisher: RequestServicePublisher;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let esdb: EventStoreDBClient;
  let webhook: Server;
  let kafka: Kafka;
  const raw: { topic: string; headers: string; value: string }[] = [];
  const results: Result[] = [];
  const logLines: string[] = [];
  const webhookCalls: { body: any; authorization?: string; url: string; signed: boolean }[] = [];
  // What the webhook receiver holds: "<subject>/<role>" → present.
  const held = new Set<string>();
  const failFor = new Set<string>();
  const secret = randomBytes(16).toString('hex');
  const chain = { leaf: unique('app_report'), middle: unique('app_ops'), owner: unique('app_owner'), plain: unique('app_billing') };
  let stopReader: () => Promise<void>;

  const token = (sub: string, roles: Parameters<TestIssuer['token']>[1]) => issuer.token(sub, roles);
  const of = (grantId: string) => results.filter((r) => r.data.grantId === grantId);
  const typesOf = (grantId: string) => of(grantId).map((r) => r.type);
  const api = () => request(app.getHttpServer());

  beforeAll(async () => {
    const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array) => boolean;
    jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      const line = chunk.toString();
      if (line.startsWith('{"time"')) {
        logLines.push(line);
        return true;
      }
      return write(chunk);
    }) as typeof process.stdout.write);
    [broker, issuer, db, target, eventstore] = await Promise.all([
      startTestKafka(),
      startTestIssuer(),
      createTestDatabase('prov'),
      createTestDatabase('target'),
      startTestEventStore(),
    ]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(broker.brokers);
    esdb = EventStoreDBClient.connectionString(eventstore.connectionString);
    // A role chain of depth 2 to a built-in server role, one to a CREATEROLE role, and a plain role.
    await sql(
      target.url,
      `CREATE ROLE ${chain.middle} NOLOGIN; GRANT pg_execute_server_program TO ${chain.middle};
       CREATE ROLE ${chain.leaf} NOLOGIN; GRANT ${chain.middle} TO ${chain.leaf};
       CREATE ROLE ${chain.owner} NOLOGIN CREATEROLE; CREATE ROLE ${chain.owner}_mid NOLOGIN; GRANT ${chain.owner} TO ${chain.owner}_mid;
       CREATE ROLE ${chain.owner}_leaf NOLOGIN; GRANT ${chain.owner}_mid TO ${chain.owner}_leaf;
       CREATE ROLE ${chain.plain} NOLOGIN`,
    );

    webhook = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const signed = verifySignature(
          secret,
          { signature: req.headers['x-kairos-signature'] as string, timestamp: req.headers['x-kairos-timestamp'] as string },
          body,
          Math.floor(Date.now() / 1000),
        );
        const parsed = JSON.parse(body);
        // The connector's health probe (docs/connectors/webhook.md): answered, not recorded.
        if (parsed.action === 'health') return void res.writeHead(signed ? 200 : 401).end('{}');
        webhookCalls.push({ body: parsed, authorization: req.headers.authorization, url: req.url ?? '', signed });
        if (failFor.has(parsed.subject.id)) {
          // A careless receiver echoes what it got, credentials included.
          res.writeHead(503).end(`upstream down; you sent ${req.url} with authorization: ${req.headers.authorization}`);
          return;
        }
        const key = `${parsed.subject.id}/${parsed.role}`;
        if (parsed.action === 'grant') held.add(key);
        if (parsed.action === 'revoke') held.delete(key);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ state: held.has(key) ? 'present' : 'absent' }));
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const port = (webhook.address() as AddressInfo).port;

    const cfg = loadConfig(config, {
      ...authEnv(issuer),
      ...messageKeysEnv('provisioning-connector'),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      EVENTSTORE_URL: eventstore.connectionString,
      TARGET_POSTGRES_URL: target.url,
      WEBHOOK_URL: `http://hookuser:${SECRET}@127.0.0.1:${port}/kairos?token=${SECRET}`,
      WEBHOOK_SECRET: secret,
      LOG_LEVEL: 'debug',
      JOB_MAX_ATTEMPTS: '2',
      JOB_BACKOFF_MS: '50',
      JOB_MAX_BACKOFF_MS: '100',
      JOB_LEASE_MS: '5000',
      JOB_POLL_MS: '100',
    });
    app = await createServiceApp(ProvisioningConnectorModule.forRoot(cfg), { title: 'provisioning', description: 'test' });
    await app.init();
    await startProvisioningInbox(app);
    // The test plays the request service: it records each event on its request's stream and relays it signed.
    kafka = new Kafka({ clientId: unique('test'), brokers: broker.brokers, logLevel: logLevel.NOTHING });
    publisher = new RequestServicePublisher(kafka, esdb);
    // Every message any topic carries, raw, to search for the secret.
    const topics = [TOPICS.accessRequestEvents, TOPICS.provisioningResults, 'provisioning-connector.dlq'];
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topics.map((topic) => ({ topic })) }).catch(() => undefined);
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: unique('everything') });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const headers = JSON.stringify(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
        raw.push({ topic, headers, value: message.value?.toString() ?? '' });
        if (topic === TOPICS.provisioningResults) {
          results.push({ type: headerValue(message.headers, 'ce_type') ?? '', id: headerValue(message.headers, 'ce_id') ?? '', data: JSON.parse(message.value!.toString()) });
        }
      },
    });
    stopReader = () => consumer.disconnect();
    // The service listens before its consumer has joined its group (issue 19): wait until it really consumes.
    await eventually(async () => (await api().get('/health/ready')).status === 200, 'the connector ready, its consumer in its group');
  }, 120_000);

  afterAll(async () => {
    await stopReader?.();
    await publisher?.disconnect();
    await app?.close();
    await esdb?.dispose();
    await new Promise((r) => webhook?.close(r));
    await Promise.all([db?.drop(), target?.drop()]);
    await sql(
      process.env.KAIROS_TEST_PG_URL!,
      [chain.leaf, chain.middle, `${chain.owner}_leaf`, `${chain.owner}_mid`, chain.owner, chain.plain].map((r) => `DROP ROLE IF EXISTS ${r};`).join(' '),
    ).catch(() => undefined);
    await Promise.all([broker?.close(), issuer?.close(), eventstore?.close()]);
    jest.restoreAllMocks();
  }, 120_000);

  const publish = (type: 'GrantRequested' | 'RevocationRequested', data: GrantRequested['data'] | RevocationRequested['data']) =>
    publisher.publish([event(type, data)]);
  const publishRequest = (data: AccessRequested['data']) =>
    publisher.publish([{ ...event('GrantRequested', data as never), type: 'AccessRequested', data }]);

  async function ticketOf(grantId: string, action: 'grant' | 'revoke', as = 'admin-1') {
    return eventually(async () => {
      const res = await api().get('/v1/tickets').set('authorization', `Bearer ${await token(as, ['admin'])}`);
      return res.body.tickets.find((t: any) => t.grantId === grantId && t.action === action);
    }, `${action} ticket`);
  }

  describe('reference counting per identity, target and role', () => {
    it('revokes admin at its expiry although the same person still holds viewer on the same resource (Dave: viewer and admin on billing-dashboard)', async () => {
      const dave = unique('dave');
      const on = { connector: 'manual' as const, target: 'billing-console' };
      const viewer = { ...grantRequested({ subjectId: dave, target: on }), resourceId: 'billing-dashboard', role: 'viewer' };
      const admin = { ...grantRequested({ subjectId: dave, target: on }), resourceId: 'billing-dashboard', role: 'admin', duration: 'PT2H' };
      await publishRequest(accessRequested(viewer, ['maria'], 'month-end close'));
      await publishRequest(accessRequested(admin, ['maria'], 'fix the invoice run'));
      await publish('GrantRequested', viewer);
      await publish('GrantRequested', admin);
      const maria = `Bearer ${await token('maria', ['approver'])}`;
      for (const g of [viewer, admin]) {
        const ticket = await ticketOf(g.grantId, 'grant');
        const done = await api().post(`/v1/tickets/${ticket.id}/complete`).set('authorization', maria).send({ comment: `gave ${g.role}` });
        expect(done.status).toBe(200);
      }
      await eventually(async () => typesOf(admin.grantId).includes('GrantSucceeded'), 'admin granted');

      await publish('RevocationRequested', revocationRequested(admin));
      // A revoke ticket is opened for admin: viewer does not keep admin.
      const revokeTicket = await ticketOf(admin.grantId, 'revoke');
      expect(revokeTicket).toMatchObject({ resourceId: 'billing-dashboard', role: 'admin', revocationReason: 'expired', subject: { id: dave } });
      expect(revokeTicket.expiresAt).toEqual(expect.any(String));
      expect(typesOf(admin.grantId)).not.toContain('RevokeSucceeded');
      const done = await api().post(`/v1/tickets/${revokeTicket.id}/complete`).set('authorization', maria).send({ comment: 'removed admin' });
      expect(done.status).toBe(200);
      const revoked = await eventually(async () => of(admin.grantId).find((r) => r.type === 'RevokeSucceeded'), 'RevokeSucceeded');
      // A person's word, not a check: attested, not verified; and nothing was retained.
      expect(revoked.data).toMatchObject({ verified: false, fulfilledBy: 'maria', comment: 'removed admin' });
      expect(revoked.data).not.toHaveProperty('retainedBy');
    });

    it('keeps a role that another live grant of the same role needs, and records the revocation as retained, never as verified', async () => {
      const carol = unique('carol');
      const on = { connector: 'postgres' as const, target: chain.plain };
      const first = grantRequested({ subjectId: carol, target: on });
      const second = grantRequested({ subjectId: carol, target: on });
      await publish('GrantRequested', first);
      await publish('GrantRequested', second);
      await eventually(async () => typesOf(first.grantId).includes('GrantSucceeded') && typesOf(second.grantId).includes('GrantSucceeded'), 'both');
      expect(of(first.grantId).find((r) => r.type === 'GrantSucceeded')!.data.verified).toBe(true);

      await publish('RevocationRequested', revocationRequested(first));
      const retained = await eventually(async () => of(first.grantId).find((r) => r.type === 'RevokeSucceeded'), 'first revoked');
      expect(retained.data).toMatchObject({ verified: false, retainedBy: [second.grantId] });
      expect(await isMember(target.url, chain.plain, identityRoleName(carol))).toBe(true);

      await publish('RevocationRequested', revocationRequested(second));
      const gone = await eventually(async () => of(second.grantId).find((r) => r.type === 'RevokeSucceeded'), 'second revoked');
      expect(gone.data).toMatchObject({ verified: true });
      expect(gone.data).not.toHaveProperty('retainedBy');
      expect(await isMember(target.url, chain.plain, identityRoleName(carol))).toBe(false);
    });

    it('removes a webhook role although a grant of another role on the same target is still live, and verifies exactly that role', async () => {
      const erin = unique('erin');
      const on = { connector: 'webhook' as const, target: 'crm' };
      const viewer = { ...grantRequested({ subjectId: erin, target: on }), role: 'viewer' };
      const admin = { ...grantRequested({ subjectId: erin, target: on }), role: 'admin' };
      await publish('GrantRequested', viewer);
      await publish('GrantRequested', admin);
      await eventually(async () => typesOf(admin.grantId).includes('GrantSucceeded') && typesOf(viewer.grantId).includes('GrantSucceeded'), 'both');
      await publish('RevocationRequested', revocationRequested(admin));
      const revoked = await eventually(async () => of(admin.grantId).find((r) => r.type === 'RevokeSucceeded'), 'admin revoked');
      expect(revoked.data).toMatchObject({ verified: true });
      expect(held.has(`${erin}/admin`)).toBe(false);
      expect(held.has(`${erin}/viewer`)).toBe(true);
      const calls = webhookCalls.filter((c) => c.body.grantId === admin.grantId).map((c) => [c.body.action, c.body.role]);
      expect(calls).toEqual([
        ['grant', 'admin'],
        ['verify', 'admin'],
        ['revoke', 'admin'],
        ['verify', 'admin'],
      ]);
    });
  });

  describe('privileged roles', () => {
    it('refuses a catalogued role that reaches pg_execute_server_program through two memberships, at once and naming it', async () => {
      const mallory = unique('mallory');
      const grant = grantRequested({ subjectId: mallory, target: { connector: 'postgres', target: chain.leaf } });
      await publish('GrantRequested', grant);
      const failed = await eventually(async () => of(grant.grantId).find((r) => r.type === 'GrantFailed'), 'GrantFailed');
      expect(failed.data).toMatchObject({ attempt: 1, final: true, verified: false });
      expect(failed.data.reason).toContain('pg_execute_server_program');
      expect(failed.data.reason).toContain(`${chain.leaf} → ${chain.middle} → pg_execute_server_program`);
      expect(await isMember(target.url, chain.leaf, identityRoleName(mallory))).toBe(false);
    });

    it('refuses a catalogued role that inherits a CREATEROLE role through a chain of depth 2', async () => {
      const mallory = unique('mallory');
      const grant = grantRequested({ subjectId: mallory, target: { connector: 'postgres', target: `${chain.owner}_leaf` } });
      await publish('GrantRequested', grant);
      const failed = await eventually(async () => of(grant.grantId).find((r) => r.type === 'GrantFailed' && r.data.final), 'GrantFailed');
      expect(failed.data.reason).toMatch(new RegExp(`reaches privileged role ${chain.owner} \\(createrole\\)`));
      expect(await isMember(target.url, `${chain.owner}_leaf`, identityRoleName(mallory))).toBe(false);
    });
  });

  describe('manual tickets are resolved by the resource fulfillers only', () => {
    async function manualGrant(owners: string[], requestedBy?: string) {
      const subjectId = unique('ivy');
      const grant = { ...grantRequested({ subjectId, target: { connector: 'manual', target: 'billing-console' } }), resourceId: 'billing-dashboard', role: 'viewer' };
      await publishRequest(accessRequested(grant, owners, 'quarterly report', requestedBy));
      await publish('GrantRequested', grant);
      return { grant, ticket: await ticketOf(grant.grantId, 'grant') };
    }

    it('refuses an approver who is not a fulfiller of the resource completing a ticket (any approver completing any ticket)', async () => {
      const { grant, ticket } = await manualGrant(['olga']);
      const res = await api().post(`/v1/tickets/${ticket.id}/complete`).set('authorization', `Bearer ${await token('random-approver', ['approver'])}`).send({ comment: 'sure' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('TICKET.NOT_FULFILLER');
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const list = await api().get('/v1/tickets').set('authorization', `Bearer ${await token('random-approver', ['approver'])}`);
      expect(list.body.tickets.map((t: any) => t.id)).not.toContain(ticket.id);
      expect(typesOf(grant.grantId)).not.toContain('GrantSucceeded');
    });

    it('refuses the requester completing the ticket of their own request, even as admin', async () => {
      const { ticket } = await manualGrant(['olga'], 'admin-who-asked');
      const res = await api().post(`/v1/tickets/${ticket.id}/fail`).set('authorization', `Bearer ${await token('admin-who-asked', ['admin'])}`).send({ comment: 'nah' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('TICKET.OWN_ACCESS');
    });

    it('lets an owner complete it, shows them what to grant and why, and records who did it and their comment, unverified', async () => {
      const { grant, ticket } = await manualGrant(['olga']);
      const list = await api().get('/v1/tickets').set('authorization', `Bearer ${await token('olga', ['approver'])}`);
      expect(list.body.tickets.find((t: any) => t.id === ticket.id)).toMatchObject({
        resourceId: 'billing-dashboard',
        role: 'viewer',
        duration: 'PT1H',
        justification: 'quarterly report',
        requestPath: `/v1/access-requests/${grant.requestId}`,
        fulfillers: ['olga'],
      });
      const res = await api().post(`/v1/tickets/${ticket.id}/complete`).set('authorization', `Bearer ${await token('olga', ['approver'])}`).send({ comment: 'added in the console' });
      expect(res.status).toBe(200);
      const ok = await eventually(async () => of(grant.grantId).find((r) => r.type === 'GrantSucceeded'), 'GrantSucceeded');
      expect(ok.data).toMatchObject({ verified: false, fulfilledBy: 'olga', comment: 'added in the console' });
    });

    it('records who failed a ticket and their comment on the final GrantFailed', async () => {
      const { grant, ticket } = await manualGrant(['olga']);
      const res = await api().post(`/v1/tickets/${ticket.id}/fail`).set('authorization', `Bearer ${await token('olga', ['approver'])}`).send({ comment: 'console frozen' });
      expect(res.status).toBe(200);
      const failed = await eventually(async () => of(grant.grantId).find((r) => r.type === 'GrantFailed'), 'GrantFailed');
      expect(failed.data).toMatchObject({ final: true, verified: false, fulfilledBy: 'olga', comment: 'console frozen' });
    });
  });

  describe('webhook calls', () => {
    it('carry the resource, role, duration, expiry, reason and request path, with URL credentials sent as Basic authorization', async () => {
      const gina = unique('gina');
      const grant = { ...grantRequested({ subjectId: gina, target: { connector: 'webhook', target: 'crm' } }), resourceId: 'crm', role: 'editor' };
      await publishRequest({ ...accessRequested(grant, [], 'CHG-42 migrate contacts'), ticket: 'CHG-42' });
      await publish('GrantRequested', grant);
      await eventually(async () => typesOf(grant.grantId).includes('GrantSucceeded'), 'GrantSucceeded');
      await publish('RevocationRequested', { ...revocationRequested(grant), reason: 'released', requestedBy: gina });
      await eventually(async () => typesOf(grant.grantId).includes('RevokeSucceeded'), 'RevokeSucceeded');
      const calls = webhookCalls.filter((c) => c.body.grantId === grant.grantId);
      expect(calls.every((c) => c.signed)).toBe(true);
      expect(calls[0]!.body).toMatchObject({
        action: 'grant',
        requestId: grant.requestId,
        requestPath: `/v1/access-requests/${grant.requestId}`,
        subject: { id: gina, kind: 'person' },
        resourceId: 'crm',
        role: 'editor',
        target: 'crm',
        duration: 'PT1H',
        justification: 'CHG-42 migrate contacts',
        ticket: 'CHG-42',
      });
      const revoke = calls.find((c) => c.body.action === 'revoke')!;
      expect(revoke.body).toMatchObject({ revocationReason: 'released', revocationRequestedBy: gina, role: 'editor' });
      expect(Date.parse(revoke.body.expiresAt)).toBeGreaterThan(Date.now());
      expect(calls.find((c) => c.body.action === 'verify')!.body.for).toBe('grant');
      expect(calls[0]!.authorization).toBe(`Basic ${Buffer.from(`hookuser:${SECRET}`).toString('base64')}`);
      expect(calls[0]!.url).toBe(`/kairos?token=${SECRET}`);
    });
  });

  describe('secrets', () => {
    it('keeps a secret in the webhook URL (query token and userinfo) out of every Kafka message, the job list and the logs when calls fail', async () => {
      const hank = unique('hank');
      failFor.add(hank);
      const grant = grantRequested({ subjectId: hank, target: { connector: 'webhook', target: 'crm' } });
      await publish('GrantRequested', grant);
      const failed = await eventually(async () => of(grant.grantId).find((r) => r.type === 'GrantFailed' && r.data.final), 'final GrantFailed');
      expect(failed.data.reason).toMatch(/answered HTTP 503/);
      const jobs = await api().get('/v1/jobs').set('authorization', `Bearer ${await token('admin-1', ['admin'])}`);
      expect(JSON.stringify(jobs.body)).toContain(grant.grantId);
      // Let the log lines of the last attempt land.
      await new Promise((r) => setTimeout(r, 300));
      expect(raw.length).toBeGreaterThan(10);
      expect(raw.filter((m) => `${m.headers}${m.value}`.includes(SECRET)).map((m) => m.topic)).toEqual([]);
      expect(JSON.stringify(jobs.body)).not.toContain(SECRET);
      expect(logLines.some((l) => l.includes(grant.grantId))).toBe(true);
      expect(logLines.filter((l) => l.includes(SECRET))).toEqual([]);
      expect(logLines.filter((l) => l.includes(Buffer.from(`hookuser:${SECRET}`).toString('base64')))).toEqual([]);
      // Every event on the request streams (what the request service would record from these results).
      const streamed: string[] = [];
      for await (const e of esdb.readAll({ fromPosition: START, direction: FORWARDS })) {
        if (e.event && !e.event.type.startsWith('$')) streamed.push(JSON.stringify(e.event.data));
      }
      expect(streamed.length).toBeGreaterThan(5);
      expect(streamed.filter((e) => e.includes(SECRET))).toEqual([]);
    });
  });
});
