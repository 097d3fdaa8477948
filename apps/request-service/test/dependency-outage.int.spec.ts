import { Client } from 'pg';
import request from 'supertest';
import { startTwoServices } from './two-services';

/** A dependency that is down is not a bug: 503 with Retry-After, so clients retry instead of reporting it. */
describe('the request service while a dependency is down', () => {
  let platform: Awaited<ReturnType<typeof startTwoServices>>;
  let alice: string;

  const submit = () =>
    request(platform.app.getHttpServer())
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
    platform = await startTwoServices();
    alice = await platform.issuer.token('alice', ['requester']);
    expect((await submit()).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await admin(`ALTER DATABASE "${platform.policyDb.name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await platform?.close();
  }, 120_000);

  it("answers 503 with Retry-After, not 502, while the policy service's database is down", async () => {
    await admin(`ALTER DATABASE "${platform.policyDb.name}" ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${platform.policyDb.name}' AND pid <> pg_backend_pid()`);
    try {
      const res = await submit();
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body.code).toBe('POLICY_UNAVAILABLE');
    } finally {
      await admin(`ALTER DATABASE "${platform.policyDb.name}" ALLOW_CONNECTIONS true`);
    }
    expect((await submit()).status).toBe(201);
  });

  it('answers 503 with Retry-After, not 500, while EventStoreDB is down', async () => {
    await platform.eventstore.close();
    const res = await submit();
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(JSON.stringify(res.body)).not.toMatch(/esdb:\/\//);
  });
});
