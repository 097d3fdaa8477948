import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@kairos/testing';
import { openServiceDataSource } from './data-source';

// A slow migration that notes when each run of it starts and ends, outside the service's schema.
class SlowMigration1700000000001 implements MigrationInterface {
  name = 'SlowMigration1700000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`INSERT INTO public.migration_runs (started_at) VALUES (clock_timestamp())`);
    await q.query('CREATE TABLE gadgets (id text PRIMARY KEY)');
    await q.query('SELECT pg_sleep(0.5)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE gadgets');
  }
}

describe('migrations of two replicas starting at once', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('refuses to let two replicas race on the same migrations: one migrates, the other waits and finds them done', async () => {
    const setup = await openServiceDataSource({ url: db.url, schema: 'scratch_setup', migrations: [] });
    await setup.query('CREATE TABLE public.migration_runs (started_at timestamptz NOT NULL)');
    await setup.destroy();
    const replicas = await Promise.all(
      Array.from({ length: 3 }, () => openServiceDataSource({ url: db.url, schema: 'gadget_service', migrations: [SlowMigration1700000000001] })),
    );
    try {
      const [runs] = await replicas[0]!.query('SELECT count(*)::int AS n FROM public.migration_runs');
      expect(runs).toEqual({ n: 1 });
      const applied = await replicas[0]!.query('SELECT name FROM gadget_service.migrations');
      expect(applied).toEqual([{ name: 'SlowMigration1700000000001' }]);
      // Nobody still holds the lock.
      const [locks] = await replicas[0]!.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted`);
      expect(locks).toEqual({ n: 0 });
    } finally {
      await Promise.all(replicas.map((r) => r.destroy()));
    }
  });
});
