import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { metricSamples } from '@kairos/observability';
import { openServiceDataSource } from '@kairos/persistence';
import { createTestDatabase, eventually, type TestDatabase } from '@kairos/testing';
import { migrations } from '../src/migrations';
import { JobsRepository } from '../src/adapters/postgres/jobs.repository';
import type { JobWorker, WorkerLog } from '../src/adapters/worker/job-worker';
import type { NewJob } from '../src/use-cases/record-requested-job/ports';
import { PostgresConnector } from '../src/adapters/connectors/postgres/postgres.connector';
import type { ConnectorRegistry } from '../src/adapters/connectors/registry';
import { jobWorker, sql, unique } from './fixtures';

/**
 * The provisioning metrics operators page on: failed attempts, retries and jobs failed for good
 * by connector, and how late after expiry a revocation was verified. Real PostgreSQL for the jobs
 * and as the target (the postgres connector).
 */
describe('provisioning job metrics', () => {
  let db: TestDatabase;
  let target: TestDatabase;
  let ds: DataSource;
  let connector: PostgresConnector;
  let worker: JobWorker;
  const registry = new Registry();
  const quiet: WorkerLog = { log: () => undefined, warn: () => undefined, error: () => undefined };
  const role = unique('app_metrics');

  beforeAll(async () => {
    [db, target] = await Promise.all([createTestDatabase('jobmetrics'), createTestDatabase('jobmetricstarget')]);
    await sql(target.url, `CREATE ROLE ${role} NOLOGIN`);
    ds = await openServiceDataSource({ url: db.url, schema: 'provisioning', migrations, poolSize: 4 });
    connector = new PostgresConnector(target.url, { lockTimeoutMs: 2_000, statementTimeoutMs: 5_000 });
    const connectors: ConnectorRegistry = new Map([['postgres', connector]]);
    worker = jobWorker(ds, connectors, { retry: { maxAttempts: 2, backoffMs: 50, maxBackoffMs: 100 }, leaseMs: 5_000, pollMs: 100 }, quiet, { registry });
    worker.start();
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await connector?.close();
    await ds?.destroy();
    await Promise.allSettled([db?.drop(), target?.drop()]);
    await sql(process.env.KAIROS_TEST_PG_URL!, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  });

  const record = (job: Omit<NewJob, 'kind' | 'id' | 'connector' | 'resourceId' | 'role' | 'accessRole' | 'itemId'>) =>
    ds.transaction((tx) => new JobsRepository(ds).record(tx, { kind: 'job', id: randomUUID(), connector: 'postgres', itemId: 'item-1', resourceId: 'db', role: 'reader', accessRole: job.target, duration: 'PT1H', ...job }, new Date()));
  const statusOf = async (grantId: string, action: string) =>
    ((await ds.query('SELECT status FROM provisioning_jobs WHERE grant_id = $1 AND action = $2', [grantId, action])) as { status: string }[])[0]?.status;
  const value = async (name: string, labels: string) => metricSamples(await registry.metrics(), name).get(labels) ?? 0;

  it('counts each failed attempt, the retry it earned and the job that failed for good, by connector and action', async () => {
    const grant = { requestId: randomUUID(), grantId: randomUUID(), action: 'grant' as const, target: unique('app_missing'), subject: { id: unique('nina'), kind: 'person' as const } };
    await record(grant);
    await eventually(async () => (await statusOf(grant.grantId, 'grant')) === 'failed', 'the grant of a role the target lacks failed');
    const labels = '{connector="postgres",action="grant"}';
    expect(await value('kairos_provisioning_attempt_failures_total', labels)).toBe(2);
    expect(await value('kairos_provisioning_job_retries_total', labels)).toBe(1);
    expect(await value('kairos_provisioning_job_failures_total', labels)).toBe(1);
  });

  it('observes how long after its expiry a revocation was verified, and nothing for an early one', async () => {
    const subject = { id: unique('ola'), kind: 'person' as const };
    const expired = { requestId: randomUUID(), grantId: randomUUID(), action: 'grant' as const, target: role, subject };
    await record(expired);
    await eventually(async () => (await statusOf(expired.grantId, 'grant')) === 'succeeded', 'granted');
    // The access expired 20 s ago (its timer fired late): the revocation carries that expiry.
    await ds.query(`UPDATE provisioning_jobs SET expires_at = now() - interval '20 seconds' WHERE grant_id = $1 AND action = 'grant'`, [expired.grantId]);
    await record({ ...expired, action: 'revoke' });
    await eventually(async () => (await statusOf(expired.grantId, 'revoke')) === 'succeeded', 'revoked');
    const text = await registry.metrics();
    expect(metricSamples(text, 'kairos_revocation_lateness_seconds_count').get('{connector="postgres"}')).toBe(1);
    const late = metricSamples(text, 'kairos_revocation_lateness_seconds_sum').get('{connector="postgres"}')!;
    expect(late).toBeGreaterThanOrEqual(20);
    expect(late).toBeLessThan(600);
    expect(metricSamples(text, 'kairos_revocation_lateness_seconds_bucket').get('{le="10",connector="postgres"}')).toBe(0);

    // Released an hour early: not late, not observed.
    const early = { requestId: randomUUID(), grantId: randomUUID(), action: 'grant' as const, target: role, subject: { id: unique('eve'), kind: 'person' as const } };
    await record(early);
    await eventually(async () => (await statusOf(early.grantId, 'grant')) === 'succeeded', 'granted early');
    await record({ ...early, action: 'revoke' });
    await eventually(async () => (await statusOf(early.grantId, 'revoke')) === 'succeeded', 'revoked early');
    expect(metricSamples(await registry.metrics(), 'kairos_revocation_lateness_seconds_count').get('{connector="postgres"}')).toBe(1);
  });
});
