import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { openServiceDataSource } from '@kairos/persistence';
import { createTestDatabase, eventually, type TestDatabase } from '@kairos/testing';
import { migrations } from '../src/migrations';
import { JobsRepository } from '../src/adapters/postgres/jobs.repository';
import type { JobWorker, WorkerLog } from '../src/adapters/worker/job-worker';
import type { NewJob } from '../src/use-cases/record-requested-job/ports';
import { PostgresConnector } from '../src/adapters/connectors/postgres/postgres.connector';
import { ConnectorHealthMonitor } from '../src/use-cases/probe-connectors/connector-health-monitor';
import { ConnectorGauges } from '../src/adapters/observability/connector-gauges';
import { safeErrorMessage } from '@kairos/observability';
import type { ConnectorRegistry } from '../src/adapters/connectors/registry';
import { identityRoleName } from '../src/domain/names';
import { systemClock } from '@kairos/clock';
import { isMember, jobWorker, sql, unique } from './fixtures';

/**
 * Issue 19: one hung statement in one target must not stop all provisioning, health must say which
 * connector is stuck, and a worker killed mid-job must not freeze its identity for long. Real
 * PostgreSQL for the jobs and for the target; the lock is a second session that ALTERed one role in
 * a transaction it leaves open.
 */
describe('provisioning when a target is stuck or a worker dies', () => {
  let db: TestDatabase;
  let target: TestDatabase;
  const opened: DataSource[] = [];
  const connectors: PostgresConnector[] = [];
  const workers: JobWorker[] = [];
  const retry = { maxAttempts: 20, backoffMs: 200, maxBackoffMs: 500 };
  const quiet: WorkerLog = { log: () => undefined, warn: () => undefined, error: () => undefined };
  const stuckRole = unique('app_stuck');
  const freeRole = unique('app_free');
  const otherRole = unique('app_other');

  beforeAll(async () => {
    [db, target] = await Promise.all([createTestDatabase('stuck'), createTestDatabase('stucktarget')]);
    await sql(target.url, `CREATE ROLE ${stuckRole} NOLOGIN; CREATE ROLE ${freeRole} NOLOGIN; CREATE ROLE ${otherRole} NOLOGIN`);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(workers.map((w) => w.stop()));
    await Promise.allSettled(connectors.map((c) => c.close()));
    await Promise.allSettled(opened.filter((d) => d.isInitialized).map((d) => d.destroy()));
    await Promise.allSettled([db?.drop(), target?.drop()]);
    await sql(process.env.KAIROS_TEST_PG_URL!, `DROP ROLE IF EXISTS ${stuckRole}; DROP ROLE IF EXISTS ${freeRole}; DROP ROLE IF EXISTS ${otherRole}`).catch(
      () => undefined,
    );
  });

  async function dataSource(): Promise<DataSource> {
    const ds = await openServiceDataSource({ url: db.url, schema: 'provisioning', migrations, poolSize: 12 });
    opened.push(ds);
    return ds;
  }

  function postgres(options: { lockTimeoutMs: number; statementTimeoutMs: number }): PostgresConnector {
    const connector = new PostgresConnector(target.url, options);
    connectors.push(connector);
    return connector;
  }

  async function record(ds: DataSource, job: Omit<NewJob, 'kind' | 'id' | 'connector' | 'resourceId' | 'role' | 'accessRole' | 'itemId'>): Promise<void> {
    await ds.transaction((tx) =>
      new JobsRepository(ds).record(
        tx,
        { kind: 'job', id: randomUUID(), connector: 'postgres', itemId: 'item-1', resourceId: 'db', role: 'reader', accessRole: job.target, duration: 'PT1H', ...job },
        new Date(),
      ),
    );
  }

  const grantOf = (subjectId: string, role: string) => ({
    requestId: randomUUID(),
    grantId: randomUUID(),
    action: 'grant' as const,
    target: role,
    subject: { id: subjectId, kind: 'person' as const },
  });

  async function jobOf(ds: DataSource, grantId: string, action: 'grant' | 'revoke'): Promise<{ status: string; attempts: number; last_error: string | null }> {
    const rows: { status: string; attempts: number; last_error: string | null }[] = await ds.query(
      'SELECT status, attempts, last_error FROM provisioning_jobs WHERE grant_id = $1 AND action = $2',
      [grantId, action],
    );
    return rows[0]!;
  }

  /**
   * A second session that changed the role and keeps its transaction open (a migration left
   * hanging): it holds a lock on the role, and every GRANT or REVOKE of that role waits for it.
   */
  async function holdLock(role: string): Promise<Client> {
    const locker = new Client({ connectionString: target.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`ALTER ROLE ${role} CONNECTION LIMIT 5`);
    await locker.query(`COMMENT ON ROLE ${role} IS 'being migrated'`);
    return locker;
  }

  it('refuses to let a role locked in the target hold back grants and revocations of other roles and identities, and reports the stuck connector', async () => {
    const ds = await dataSource();
    const connector = postgres({ lockTimeoutMs: 1_000, statementTimeoutMs: 3_000 });
    const registry: ConnectorRegistry = new Map([['postgres', connector]]);
    const metrics = new Registry();
    const health = new ConnectorHealthMonitor(registry, systemClock, new ConnectorGauges(metrics), safeErrorMessage, { intervalMs: 60_000 });
    const worker = jobWorker(ds, registry, { retry, leaseMs: 3_000, pollMs: 100, concurrency: 4 }, quiet, { calls: health });
    workers.push(worker);

    // Already granted before the lock: revoking it must go through while the other role is locked.
    const early = grantOf(unique('erin'), otherRole);
    await record(ds, early);
    worker.start();
    await eventually(async () => (await jobOf(ds, early.grantId, 'grant')).status === 'succeeded', 'the early grant');

    const locker = await holdLock(stuckRole);
    try {
      const stuck = grantOf(unique('sam'), stuckRole);
      await record(ds, stuck);
      await eventually(async () => (await jobOf(ds, stuck.grantId, 'grant')).attempts >= 1, 'the stuck grant started');

      const started = Date.now();
      const others = [grantOf(unique('olga'), freeRole), grantOf(unique('pete'), otherRole), grantOf(unique('sam'), freeRole)];
      for (const other of others) await record(ds, other);
      await record(ds, { ...early, action: 'revoke' });
      await eventually(
        async () =>
          (await Promise.all(others.map((o) => jobOf(ds, o.grantId, 'grant')))).every((j) => j.status === 'succeeded') &&
          (await jobOf(ds, early.grantId, 'revoke')).status === 'succeeded',
        'grants and revocations of other roles and identities',
        15_000,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const other of others) expect(await isMember(target.url, other.target, identityRoleName(other.subject.id))).toBe(true);
      expect(await isMember(target.url, otherRole, identityRoleName(early.subject.id))).toBe(false);

      // The stuck one timed out (it did not hang) and is retried, not given up.
      // (attempt 3 claimed: attempts 1 and 2 both timed out and were recorded)
      await eventually(async () => (await jobOf(ds, stuck.grantId, 'grant')).attempts >= 3, 'the stuck grant retried', 20_000);
      const stuckJob = await jobOf(ds, stuck.grantId, 'grant');
      expect(['pending', 'running']).toContain(stuckJob.status);
      expect(stuckJob.last_error ?? '').toMatch(/lock timeout|statement timeout/);

      // Health says which connector is stuck (and on which target), though its probe still passes.
      const probed = await health.probe('postgres');
      expect(probed).toEqual({ healthy: false, reason: expect.stringContaining(`target ${stuckRole} timed out`) });
      const status = health.statuses().find((s) => s.name === 'postgres')!;
      expect(status).toMatchObject({ healthy: false, lastError: expect.stringContaining('stuck') });
      expect(await metrics.metrics()).toMatch(/kairos_connector_up\{connector="postgres",configured="true"\} 0/);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }

    // Once the lock is gone the stuck grant goes through and the connector is healthy again.
    await eventually(async () => (await jobOf(ds, (await stuckGrantId(ds)), 'grant')).status === 'succeeded', 'the stuck grant after the lock', 20_000);
    expect(await health.probe('postgres')).toEqual({ healthy: true });
    expect(await metrics.metrics()).toMatch(/kairos_connector_up\{connector="postgres",configured="true"\} 1/);
    await worker.stop();
  }, 90_000);

  async function stuckGrantId(ds: DataSource): Promise<string> {
    const rows: { grant_id: string }[] = await ds.query(`SELECT grant_id FROM provisioning_jobs WHERE target = $1 AND action = 'grant'`, [stuckRole]);
    return rows[0]!.grant_id;
  }

  it('takes over the job of a worker killed mid-call within about a lease, never the job of a live slow one', async () => {
    await (await dataSource()).query(`DELETE FROM provisioning_jobs`);
    const leaseMs = 2_000;
    const start = async (timeouts: { lockTimeoutMs: number; statementTimeoutMs: number }) => {
      const ds = await dataSource();
      const connector = postgres(timeouts);
      const worker = jobWorker(ds, new Map([['postgres', connector]]), { retry, leaseMs, pollMs: 100, concurrency: 4 }, quiet);
      workers.push(worker);
      return { ds, connector, worker };
    };
    // Slow but alive: its call waits on the lock far longer than the lease.
    const slow = await start({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
    const locker = await holdLock(freeRole);
    const waiting = grantOf(unique('vera'), freeRole);
    await record(slow.ds, waiting);
    slow.worker.start();
    await eventually(async () => (await jobOf(slow.ds, waiting.grantId, 'grant')).attempts === 1, 'the slow worker took the job');

    const other = await start({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
    other.worker.start();
    // Three leases later the live worker still owns it (its heartbeat renews the lease).
    await new Promise((r) => setTimeout(r, 3 * leaseMs));
    expect(await jobOf(slow.ds, waiting.grantId, 'grant')).toMatchObject({ status: 'running', attempts: 1 });

    // Killed without cleanup: its pool to the jobs database is gone, so no heartbeat, no finish.
    const killedAt = Date.now();
    await slow.ds.destroy();
    await locker.query('ROLLBACK');
    await locker.end();
    await eventually(async () => (await jobOf(other.ds, waiting.grantId, 'grant')).status === 'succeeded', 'taken over', 3 * leaseMs + 5_000);
    expect(Date.now() - killedAt).toBeLessThan(leaseMs + 4_000);
    expect((await jobOf(other.ds, waiting.grantId, 'grant')).attempts).toBe(2);
    expect(await isMember(target.url, freeRole, identityRoleName(waiting.subject.id))).toBe(true);
  }, 90_000);
});
