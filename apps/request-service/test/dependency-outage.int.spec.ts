import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { loadConfig } from '@kairos/config';
import { createServiceApp } from '@kairos/http';
import { authEnv, createTestDatabase, messageKeysEnv, startTestEventStore, startTestIssuer, startTestKafka, type TestDatabase, type TestIssuer } from '@kairos/testing';
// The real neighbouring service runs in-process here; only this test reaches across apps.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ApprovalPolicyServiceModule } from '../../approval-policy-service/src/approval-policy-service.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { config as policyConfigSpec } from '../../approval-policy-service/src/config';
import { config as requestConfigSpec } from '../src/config';
import { RequestServiceModule } from '../src/request-service.module';

/** A dependency that is down is not a bug: 503 with Retry-After, so clients retry instead of reporting it. */
describe('the request service while a dependency is down', () => {
  let requestDb: TestDatabase;
  let policyDb: TestDatabase;
  let kafkaBroker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let issuer: TestIssuer;
  let policyApp: INestApplication;
  let app: INestApplication;
  let alice: string;

  const submit = () =>
    request(app.getHttpServer())
      .post('/v1/access-requests')
      .set('authorization', `Bearer ${alice}`)
      .send({ items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'INC-7: outage drill', duration: 'PT1H' });

  const admin = async (sql: string) => {
    const client = new Client({ connectionString: process.env.KAIROS_TEST_PG_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    [requestDb, policyDb, kafkaBroker, eventstore, issuer] = await Promise.all([
      createTestDatabase(),
      createTestDatabase(),
      startTestKafka(),
      startTestEventStore(),
      startTestIssuer(),
    ]);
    const common = { ...authEnv(issuer), KAFKA_BROKERS: kafkaBroker.brokers.join(','), LOG_LEVEL: 'error', PORT: '0', EVENTSTORE_URL: eventstore.connectionString };
    policyApp = await createServiceApp(
      ApprovalPolicyServiceModule.forRoot(loadConfig(policyConfigSpec, { ...common, DATABASE_URL: policyDb.url, ...messageKeysEnv('approval-policy-service') })),
      { title: 'policy', description: 'policy' },
    );
    await policyApp.listen(0, '127.0.0.1');
    const policyUrl = `http://127.0.0.1:${policyApp.getHttpServer().address().port}`;
    app = await createServiceApp(
      RequestServiceModule.forRoot(loadConfig(requestConfigSpec, { ...common, DATABASE_URL: requestDb.url, ...messageKeysEnv('request-service'), APPROVAL_POLICY_URL: policyUrl })),
      { title: 'requests', description: 'requests' },
    );
    await app.init();
    const adminToken = await issuer.token('admin', ['admin']);
    alice = await issuer.token('alice', ['requester']);
    const policy = (path: string, body: object) => request(policyApp.getHttpServer()).post(path).set('authorization', `Bearer ${adminToken}`).send(body);
    expect((await policy('/v1/identities', { id: 'alice', kind: 'person', displayName: 'Alice' })).status).toBe(201);
    expect((await policy('/v1/identities', { id: 'bob', kind: 'person', displayName: 'Bob' })).status).toBe(201);
    expect(
      (await policy('/v1/resources', { id: 'orders-db', name: 'Orders', connector: 'postgres', target: 'orders_readonly', owners: ['bob'], allowedRoles: ['readonly'], tier: 0 }))
        .status,
    ).toBe(201);
    expect((await submit()).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await policyApp?.close();
    await Promise.all([kafkaBroker?.close(), eventstore?.close(), issuer?.close()]);
    await admin(`ALTER DATABASE "${policyDb.name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await requestDb?.drop();
    await policyDb?.drop();
  }, 60_000);

  it("answers 503 with Retry-After, not 502, while the policy service's database is down", async () => {
    await admin(`ALTER DATABASE "${policyDb.name}" ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${policyDb.name}' AND pid <> pg_backend_pid()`);
    try {
      const res = await submit();
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body.code).toBe('POLICY_UNAVAILABLE');
    } finally {
      await admin(`ALTER DATABASE "${policyDb.name}" ALLOW_CONNECTIONS true`);
    }
    expect((await submit()).status).toBe(201);
  });

  it('answers 503 with Retry-After, not 500, while EventStoreDB is down', async () => {
    await eventstore.close();
    const res = await submit();
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(JSON.stringify(res.body)).not.toMatch(/esdb:\/\//);
  });
});
