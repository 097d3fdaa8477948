import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { EventStoreDBClient } from '@eventstore/db-client';
import { DataSource } from 'typeorm';
import { loadConfig } from '@kairos/config';
import { createServiceApp } from '@kairos/http';
import type { MessagePublisher } from '@kairos/messaging';
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
import { collectResults, event, grantRequested, isMember, kafkaClient, RequestServicePublisher, revocationRequested, sql, unique, type Result } from './fixtures';
import { ensureKairosTopics } from '@kairos/messaging';

describe('provisioning-connector, in process', () => {
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let esdb: EventStoreDBClient;
  let issuer: TestIssuer;
  let db: TestDatabase;
  let target: TestDatabase;
  let targetUrl: string;
  let app: INestApplication;
  let publisher: MessagePublisher;
  let reader: Awaited<ReturnType<typeof collectResults>>;
  let webhook: Server;
  let webhookCalls: { action: string; grantId: string; signed: boolean }[];
  let webhookAnswer: (action: string) => { state: string } = (action) => ({ state: action === 'revoke' ? 'absent' : 'present' });
  let healthStatus = 200;
  const logLines: string[] = [];
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const connectorLogin = unique('kprov_login');
  const readonlyRole = unique('app_readonly');
  const secret = randomBytes(16).toString('hex');
  const kafka = () => kafkaClient(broker.brokers);

  const token = (sub: string, roles: Parameters<TestIssuer['token']>[1]) => issuer.token(sub, roles);
  const results = (grantId: string): Result[] => reader.results.filter((r) => r.data.grantId === grantId);
  const resultTypes = (grantId: string) => results(grantId).map((r) => r.type);

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
    [broker, eventstore, issuer, db, target] = await Promise.all([
      startTestKafka(),
      startTestEventStore(),
      startTestIssuer(),
      createTestDatabase('prov'),
      createTestDatabase('target'),
    ]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(broker.brokers);
    // The connector's own login, with a password nobody else uses, so the logs can be searched for it.
    await sql(target.url, `CREATE ROLE ${connectorLogin} LOGIN SUPERUSER PASSWORD '${password}'; CREATE ROLE ${readonlyRole} NOLOGIN`);
    const parsed = new URL(target.url);
    parsed.username = connectorLogin;
    parsed.password = password;
    targetUrl = parsed.toString();

    webhookCalls = [];
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
        const parsedBody = JSON.parse(body) as { action: string; grantId: string };
        if (parsedBody.action === 'health') return void res.writeHead(signed ? healthStatus : 401).end('{}');
        webhookCalls.push({ action: parsedBody.action, grantId: parsedBody.grantId, signed });
        if (!signed) {
          res.writeHead(401).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(webhookAnswer(parsedBody.action)));
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));

    const cfg = loadConfig(config, {
      ...authEnv(issuer),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      EVENTSTORE_URL: eventstore.connectionString,
      ...messageKeysEnv('provisioning-connector'),
      TARGET_POSTGRES_URL: targetUrl,
      WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/kairos`,
      WEBHOOK_SECRET: secret,
      LOG_LEVEL: 'debug',
      JOB_MAX_ATTEMPTS: '3',
      JOB_BACKOFF_MS: '50',
      JOB_MAX_BACKOFF_MS: '200',
      JOB_LEASE_MS: '5000',
      JOB_POLL_MS: '100',
    });
    app = await createServiceApp(ProvisioningConnectorModule.forRoot(cfg), { title: 'provisioning', description: 'test' });
    await app.init();
    await startProvisioningInbox(app);
    esdb = EventStoreDBClient.connectionString(eventstore.connectionString);
    publisher = new RequestServicePublisher(kafka(), esdb);
    reader = await collectResults(kafka());
  });

  afterAll(async () => {
    await reader?.stop();
    await publisher?.disconnect();
    await app?.close();
    await new Promise((r) => webhook?.close(r));
    await Promise.all([db?.drop(), target?.drop()]);
    await sql(process.env.KAIROS_TEST_PG_URL!, `DROP ROLE IF EXISTS ${readonlyRole}; DROP ROLE IF EXISTS ${connectorLogin}`).catch(
      () => undefined,
    );
    await esdb?.dispose();
    await Promise.all([broker?.close(), eventstore?.close(), issuer?.close()]);
    jest.restoreAllMocks();
  });

  async function jobRows(grantId: string): Promise<{ action: string; status: string; attempts: number }[]> {
    return app.get(DataSource).query('SELECT action, status, attempts FROM provisioning_jobs WHERE grant_id = $1 ORDER BY seq', [grantId]);
  }

  describe('the postgres connector through the consumer', () => {
    it('grants role membership, verifies it and reports GrantSucceeded', async () => {
      const subjectId = unique('alice');
      const grant = grantRequested({ subjectId, target: { connector: 'postgres', target: readonlyRole } });
      await publisher.publish([event('GrantRequested', grant)]);
      await eventually(async () => resultTypes(grant.grantId).includes('GrantSucceeded'), 'GrantSucceeded');
      expect(resultTypes(grant.grantId)).toEqual(['ProvisioningStarted', 'GrantSucceeded']);
      expect(results(grant.grantId)[1]!.data).toMatchObject({ requestId: grant.requestId, attempt: 1, verified: true });
      expect(await isMember(target.url, readonlyRole, identityRoleName(subjectId))).toBe(true);

      await publisher.publish([event('RevocationRequested', revocationRequested(grant))]);
      await eventually(async () => resultTypes(grant.grantId).includes('RevokeSucceeded'), 'RevokeSucceeded');
      expect(await isMember(target.url, readonlyRole, identityRoleName(subjectId))).toBe(false);
    });

    it('never grants twice when the event is redelivered or repeated under a new id', async () => {
      const grant = grantRequested({ subjectId: unique('bob'), target: { connector: 'postgres', target: readonlyRole } });
      const first = event('GrantRequested', grant);
      await publisher.publish([first, first, event('GrantRequested', grant)]);
      await eventually(async () => resultTypes(grant.grantId).includes('GrantSucceeded'), 'GrantSucceeded');
      // A later, unrelated grant has gone through too, so every copy above was consumed by now.
      const marker = grantRequested({ subjectId: unique('marker'), target: { connector: 'postgres', target: readonlyRole } });
      await publisher.publish([event('GrantRequested', { ...marker, requestId: grant.requestId })]);
      await eventually(async () => resultTypes(marker.grantId).includes('GrantSucceeded'), 'marker GrantSucceeded');
      expect(await jobRows(grant.grantId)).toEqual([{ action: 'grant', status: 'succeeded', attempts: 1 }]);
      expect(resultTypes(grant.grantId)).toEqual(['ProvisioningStarted', 'GrantSucceeded']);
    });

    it('keeps the role while an overlapping grant is active and removes it with the last one', async () => {
      const subjectId = unique('carol');
      const on = { connector: 'postgres' as const, target: readonlyRole };
      const first = grantRequested({ subjectId, target: on });
      const second = grantRequested({ subjectId, target: on, requestId: randomUUID() });
      await publisher.publish([event('GrantRequested', first), event('GrantRequested', second)]);
      await eventually(
        async () => resultTypes(first.grantId).includes('GrantSucceeded') && resultTypes(second.grantId).includes('GrantSucceeded'),
        'both grants',
      );

      await publisher.publish([event('RevocationRequested', revocationRequested(first))]);
      await eventually(async () => resultTypes(first.grantId).includes('RevokeSucceeded'), 'first RevokeSucceeded');
      // The role stays for the second grant: this revocation is retained, not verified gone.
      expect(results(first.grantId).find((r) => r.type === 'RevokeSucceeded')!.data).toMatchObject({ verified: false, retainedBy: [second.grantId] });
      expect(await isMember(target.url, readonlyRole, identityRoleName(subjectId))).toBe(true);

      await publisher.publish([event('RevocationRequested', revocationRequested(second))]);
      await eventually(async () => resultTypes(second.grantId).includes('RevokeSucceeded'), 'second RevokeSucceeded');
      expect(await isMember(target.url, readonlyRole, identityRoleName(subjectId))).toBe(false);
    });

    it('retries a failing grant with backoff, then fails it for good and shows it to admins', async () => {
      const grant = grantRequested({ subjectId: unique('dave'), target: { connector: 'postgres', target: unique('no_such_role') } });
      await publisher.publish([event('GrantRequested', grant)]);
      await eventually(async () => results(grant.grantId).some((r) => r.type === 'GrantFailed' && r.data.final), 'final GrantFailed');
      const failures = results(grant.grantId).filter((r) => r.type === 'GrantFailed');
      expect(failures.map((f) => [f.data.attempt, f.data.final])).toEqual([
        [1, false],
        [2, false],
        [3, true],
      ]);
      expect(failures[2]!.data.reason).toMatch(/does not exist/);
      expect(resultTypes(grant.grantId).filter((t) => t === 'ProvisioningStarted')).toHaveLength(3);

      const res = await request(app.getHttpServer())
        .get('/v1/jobs?status=failed')
        .set('authorization', `Bearer ${await token('admin-1', ['admin'])}`);
      expect(res.status).toBe(200);
      expect(res.body.jobs).toEqual(
        expect.arrayContaining([expect.objectContaining({ grantId: grant.grantId, status: 'failed', attempts: 3 })]),
      );
    });

    it('refuses a target role name smuggling SQL (SQL-injection attack)', async () => {
      const evil = `${readonlyRole}" TO public; DROP ROLE ${connectorLogin}; --`;
      const grant = grantRequested({ subjectId: unique('eve'), target: { connector: 'postgres', target: evil } });
      await publisher.publish([event('GrantRequested', grant)]);
      await eventually(async () => results(grant.grantId).some((r) => r.type === 'GrantFailed' && r.data.final), 'final GrantFailed');
      expect(results(grant.grantId).find((r) => r.type === 'GrantFailed')!.data.reason).toMatch(/unsafe target role/);
      expect(await isMember(target.url, connectorLogin, connectorLogin)).toBe(false);
      const stillThere = await eventually(async () => {
        const { Client } = await import('pg');
        const c = new Client({ connectionString: target.url });
        await c.connect();
        const r = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [connectorLogin]);
        await c.end();
        return r.rowCount === 1;
      }, 'connector login still present');
      expect(stillThere).toBe(true);
    });

    it('takes up a job left running by a crashed worker once its lease ran out', async () => {
      const subjectId = unique('frank');
      const grantId = randomUUID();
      const requestId = randomUUID();
      await app.get(DataSource).query(
        `INSERT INTO provisioning_jobs (id, request_id, item_id, action, grant_id, connector, target, subject_id, subject_kind, status, attempts, next_attempt_at, lease_until, created_at, updated_at)
         VALUES ($1, $2, 'item-1', 'grant', $3, 'postgres', $4, $5, 'person', 'running', 1, now(), now() - interval '1 second', now(), now())`,
        [randomUUID(), requestId, grantId, readonlyRole, subjectId],
      );
      await eventually(async () => resultTypes(grantId).includes('GrantSucceeded'), 'resumed GrantSucceeded');
      expect(results(grantId).find((r) => r.type === 'GrantSucceeded')!.data.attempt).toBe(2);
      expect(await isMember(target.url, readonlyRole, identityRoleName(subjectId))).toBe(true);
    });
  });

  describe('the webhook connector through the consumer', () => {
    it('calls the webhook signed, verifies by a second call and records the answer', async () => {
      const grant = grantRequested({ subjectId: unique('gina'), target: { connector: 'webhook', target: 'crm-admins' } });
      await publisher.publish([event('GrantRequested', grant)]);
      await eventually(async () => resultTypes(grant.grantId).includes('GrantSucceeded'), 'GrantSucceeded');
      expect(webhookCalls.filter((c) => c.grantId === grant.grantId)).toEqual([
        { action: 'grant', grantId: grant.grantId, signed: true },
        { action: 'verify', grantId: grant.grantId, signed: true },
      ]);
      const res = await request(app.getHttpServer())
        .get('/v1/jobs')
        .set('authorization', `Bearer ${await token('admin-1', ['admin'])}`);
      expect(res.body.jobs.find((j: { grantId: string }) => j.grantId === grant.grantId).lastAnswer).toMatch(/HTTP 200 .*present/);
    });

    it('records a grant the webhook claims but verification contradicts as a failure', async () => {
      webhookAnswer = () => ({ state: 'absent' });
      try {
        const grant = grantRequested({ subjectId: unique('hank'), target: { connector: 'webhook', target: 'crm-admins' } });
        await publisher.publish([event('GrantRequested', grant)]);
        await eventually(async () => results(grant.grantId).some((r) => r.type === 'GrantFailed' && r.data.final), 'final GrantFailed');
        const failed = results(grant.grantId).find((r) => r.type === 'GrantFailed')!;
        expect(failed.data).toMatchObject({ verified: true });
        expect(failed.data.reason).toMatch(/found the access absent/);
        expect(resultTypes(grant.grantId)).not.toContain('GrantSucceeded');
      } finally {
        webhookAnswer = (action) => ({ state: action === 'revoke' ? 'absent' : 'present' });
      }
    });
  });

  describe('manual fulfilment tickets', () => {
    async function openTicket(subjectId: string) {
      const grant = grantRequested({ subjectId, target: { connector: 'manual', target: 'vpn-group' } });
      await publisher.publish([event('GrantRequested', grant)]);
      const started = await eventually(
        async () => results(grant.grantId).find((r) => r.type === 'ProvisioningStarted'),
        'ProvisioningStarted',
      );
      expect(started.data.ticketId).toEqual(expect.any(String));
      return { grant, ticketId: started.data.ticketId! };
    }

    it('opens a ticket, lists it for fulfillers and completes it as an attested, unverified grant', async () => {
      const { grant, ticketId } = await openTicket(unique('ivy'));
      const list = await request(app.getHttpServer())
        .get('/v1/tickets')
        .set('authorization', `Bearer ${await token('fulfiller-1', ['admin'])}`);
      expect(list.status).toBe(200);
      expect(list.body.tickets).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: ticketId, status: 'open', action: 'grant', grantId: grant.grantId })]),
      );

      const done = await request(app.getHttpServer())
        .post(`/v1/tickets/${ticketId}/complete`)
        .set('authorization', `Bearer ${await token('fulfiller-1', ['admin'])}`)
        .send({ comment: 'added to vpn-group in the directory' });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ status: 'completed', resolvedBy: 'fulfiller-1', comment: 'added to vpn-group in the directory' });
      await eventually(async () => resultTypes(grant.grantId).includes('GrantSucceeded'), 'GrantSucceeded');
      expect(results(grant.grantId).find((r) => r.type === 'GrantSucceeded')!.data).toMatchObject({ verified: false, fulfilledBy: 'fulfiller-1' });

      const again = await request(app.getHttpServer())
        .post(`/v1/tickets/${ticketId}/fail`)
        .set('authorization', `Bearer ${await token('admin-1', ['admin'])}`)
        .send({ comment: 'changed my mind' });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('TICKET.ALREADY_RESOLVED');
    });

    it('fails a ticket as a final failure carrying the comment', async () => {
      const { grant, ticketId } = await openTicket(unique('jack'));
      const res = await request(app.getHttpServer())
        .post(`/v1/tickets/${ticketId}/fail`)
        .set('authorization', `Bearer ${await token('admin-1', ['admin'])}`)
        .send({ comment: 'the group is frozen during the audit' });
      expect(res.status).toBe(200);
      const failed = await eventually(async () => results(grant.grantId).find((r) => r.type === 'GrantFailed'), 'GrantFailed');
      expect(failed.data).toMatchObject({ final: true });
      expect(failed.data.reason).toContain('the group is frozen during the audit');
    });

    it('rejects a requester completing a ticket', async () => {
      const { ticketId } = await openTicket(unique('kim'));
      const res = await request(app.getHttpServer())
        .post(`/v1/tickets/${ticketId}/complete`)
        .set('authorization', `Bearer ${await token('requester-1', ['requester'])}`)
        .send({ comment: 'trust me' });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('rejects an approver completing the ticket for their own access', async () => {
      const subjectId = unique('lee');
      const { ticketId } = await openTicket(subjectId);
      const res = await request(app.getHttpServer())
        .post(`/v1/tickets/${ticketId}/complete`)
        .set('authorization', `Bearer ${await token(subjectId, ['approver'])}`)
        .send({ comment: 'gave it to myself' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('TICKET.OWN_ACCESS');
    });

    it('rejects an unauthenticated ticket list', async () => {
      const res = await request(app.getHttpServer()).get('/v1/tickets');
      expect(res.status).toBe(401);
    });

    it('rejects a requester reading the ticket queue', async () => {
      const res = await request(app.getHttpServer())
        .get('/v1/tickets')
        .set('authorization', `Bearer ${await token('requester-1', ['requester'])}`);
      expect(res.status).toBe(403);
    });

    it('rejects an approver reading the job list', async () => {
      const res = await request(app.getHttpServer())
        .get('/v1/jobs?status=failed')
        .set('authorization', `Bearer ${await token('fulfiller-1', ['approver'])}`);
      expect(res.status).toBe(403);
    });

    it('answers bad input with a problem listing the fields', async () => {
      const auth = `Bearer ${await token('admin-1', ['admin'])}`;
      const res = await request(app.getHttpServer())
        .post(`/v1/tickets/${randomUUID()}/complete`)
        .set('authorization', auth)
        .send({ comment: '', extra: 1 });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['comment', 'extra']);
      const badStatus = await request(app.getHttpServer()).get('/v1/jobs?status=bogus').set('authorization', auth);
      expect(badStatus.status).toBe(400);
      expect(badStatus.body.errors[0].field).toBe('status');
      const missing = await request(app.getHttpServer())
        .post(`/v1/tickets/${randomUUID()}/complete`)
        .set('authorization', auth)
        .send({ comment: 'x' });
      expect(missing.status).toBe(404);
    });
  });

  describe('health and secrets', () => {
    it('includes each configured connector in readiness', async () => {
      const res = await request(app.getHttpServer()).get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body.checks).toMatchObject({ 'connector:postgres': { ok: true }, 'connector:webhook': { ok: true } });
    });

    it('shows every connector health to admins', async () => {
      const res = await request(app.getHttpServer()).get('/v1/connectors').set('authorization', `Bearer ${await token('admin-1', ['admin'])}`);
      expect(res.status).toBe(200);
      expect(res.body.connectors.map((c: { name: string; healthy: boolean }) => [c.name, c.healthy])).toEqual([
        ['postgres', true],
        ['webhook', true],
        ['manual', true],
        ['ldap', false],
        ['github', false],
      ]);
      const ldap = res.body.connectors.find((c: { name: string }) => c.name === 'ldap');
      expect(ldap).toMatchObject({ configured: false, reason: 'LDAP_URL is not set' });
    });

    it('shows a failing connector with its last error and time, on demand and in metrics, and its recovery', async () => {
      const admin = `Bearer ${await token('admin-1', ['admin'])}`;
      healthStatus = 503;
      try {
        const probed = await request(app.getHttpServer()).post('/v1/connectors/probe').set('authorization', admin).expect(200);
        const webhook = probed.body.connectors.find((c: { name: string }) => c.name === 'webhook');
        expect(webhook).toMatchObject({ healthy: false, reason: 'webhook health call answered HTTP 503: {}', lastError: 'webhook health call answered HTTP 503: {}' });
        expect(Date.parse(webhook.lastErrorAt)).toBeGreaterThan(Date.now() - 60_000);
        const metrics = await request(app.getHttpServer()).get('/metrics');
        expect(metrics.text).toMatch(/kairos_connector_up\{[^}]*connector="webhook"[^}]*\} 0/);
        expect((await request(app.getHttpServer()).get('/health/ready')).status).toBe(503);
      } finally {
        healthStatus = 200;
      }
      const recovered = await request(app.getHttpServer()).post('/v1/connectors/probe').set('authorization', admin).expect(200);
      const webhook = recovered.body.connectors.find((c: { name: string }) => c.name === 'webhook');
      expect(webhook).toMatchObject({ healthy: true, lastError: 'webhook health call answered HTTP 503: {}' });
      expect(Date.parse(webhook.lastHealthyAt)).toBeGreaterThanOrEqual(Date.parse(webhook.lastErrorAt));
      expect((await request(app.getHttpServer()).get('/metrics')).text).toMatch(/kairos_connector_up\{[^}]*connector="webhook"[^}]*\} 1/);
    });

    it('never writes the target database password to a log line', async () => {
      expect(logLines.length).toBeGreaterThan(10);
      expect(logLines.some((l) => l.includes('provisioning attempt failed'))).toBe(true);
      expect(logLines.filter((l) => l.includes(password))).toEqual([]);
    });
  });
});
