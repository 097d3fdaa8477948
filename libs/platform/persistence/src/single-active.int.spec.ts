import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@kairos/testing';
import { openServiceDataSource } from './data-source';
import { SingleActive } from './single-active';

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Two replicas of one part that must run once (ADR 0028), over real PostgreSQL. */
describe('single-active work under a PostgreSQL advisory lock', () => {
  let db: TestDatabase;
  const sources: DataSource[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('single');
  });
  afterAll(async () => {
    for (const s of sources) if (s.isInitialized) await s.destroy();
    await db.drop();
  });

  const replica = async (name: string, running: Set<string>) => {
    const ds = await openServiceDataSource({ url: db.url, schema: 'svc', migrations: [], poolSize: 3 });
    sources.push(ds);
    return new SingleActive(ds, {
      name: 'svc:projection',
      intervalMs: 200,
      lead: () => void running.add(name),
      stepDown: () => void running.delete(name),
    });
  };

  it('runs the work on one replica only, hands it over when that replica dies (its session ends) or stops, and never on two at once', async () => {
    const running = new Set<string>();
    const overlaps: string[][] = [];
    const watch = setInterval(() => running.size > 1 && overlaps.push([...running]), 20);
    const a = await replica('a', running);
    const b = await replica('b', running);
    try {
      a.start();
      await until('a leads', () => a.isLeader);
      expect(() => a.assertDecided()).not.toThrow();
      b.start();
      await until('b decided', () => {
        try {
          b.assertDecided();
          return true;
        } catch {
          return false;
        }
      });
      await new Promise((r) => setTimeout(r, 1_000));
      expect({ a: a.isLeader, b: b.isLeader, running: [...running] }).toEqual({ a: true, b: false, running: ['a'] });

      // a's session dies as with kill -9 (the server ends it): a notices and stops, b takes over.
      const admin = new Client({ connectionString: db.url });
      await admin.connect();
      try {
        const { rows } = await admin.query(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted`);
        expect(rows).toHaveLength(1);
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      } finally {
        await admin.end();
      }
      await until('b leads', () => b.isLeader);
      await until('a stepped down', () => !a.isLeader);
      expect([...running]).toEqual(['b']);
      // a learns of its ended session from the socket; b may have tried in between (ADR 0028): not counted here.
      overlaps.length = 0;

      // A clean stop of b hands back to a, which keeps trying.
      await b.stop();
      await until('a leads again', () => a.isLeader);
      expect([...running]).toEqual(['a']);
      expect(overlaps).toEqual([]);
    } finally {
      clearInterval(watch);
      await a.stop();
      await b.stop();
    }
  }, 120_000);
});
