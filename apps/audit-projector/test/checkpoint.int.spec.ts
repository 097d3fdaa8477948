import { EventStoreDBClient } from '@eventstore/db-client';
import type { DataSource } from 'typeorm';
import { openServiceDataSource } from '@kairos/persistence';
import { createTestDatabase, eventually, startTestEventStore, type TestDatabase } from '@kairos/testing';
import { migrations } from '../src/migrations';
import { RequestScenario } from '@kairos/access-request-domain/testing';
import { appendScenario } from '../src/testing/event-store';
import { AuditTables } from '../src/adapters/postgres/audit-schema';
import { LIVE_SUBSCRIPTION, ProjectionRunner } from '../src/adapters/eventstore/projection-runner';

describe('the projection checkpoint', () => {
  let db: TestDatabase;
  let es: Awaited<ReturnType<typeof startTestEventStore>>;
  let client: EventStoreDBClient;
  let dataSource: DataSource;
  const tables = new AuditTables('audit');
  const scenarios = Array.from({ length: 6 }, (_, i) =>
    RequestScenario.create({ id: `u-${i}`, kind: 'person' }, `res-${i % 2}`, 'read').requested(i, { automatic: true, duration: 'PT2H' }).granted(i).expired(i + 2),
  );
  const total = scenarios.reduce((n, s) => n + s.events.length, 0);

  const count = async (sql: string): Promise<number> => Number((await dataSource.query(sql))[0].n);
  const timelineRows = () => count(`SELECT count(*) AS n FROM ${tables.events}`);
  const runner = (extra: Partial<ConstructorParameters<typeof ProjectionRunner>[0]> = {}) =>
    new ProjectionRunner({ client, dataSource, tables, subscriptionId: LIVE_SUBSCRIPTION, retryDelayMs: 50, ...extra });

  beforeAll(async () => {
    [db, es] = await Promise.all([createTestDatabase(), startTestEventStore()]);
    client = EventStoreDBClient.connectionString(es.connectionString);
    dataSource = await openServiceDataSource({ url: db.url, schema: 'audit', migrations });
    for (const s of scenarios) await appendScenario(client, s);
  }, 120_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await client?.dispose();
    await es?.close();
    await db?.drop();
  });

  it('rolls an event back with its checkpoint when the transaction dies, and resumes without duplicates', async () => {
    let crashes = 0;
    const errors: unknown[] = [];
    let checkpointAtCrash: string | null = null;
    let committedAtCrash: string | null = null;
    const first = runner({
      onError: (e) => errors.push(e),
      beforeCommit: async (event) => {
        if (event.revision === 3n && event.streamId === scenarios[2]!.stream && crashes === 0) {
          crashes++;
          // What the projector sees when its database connection dies before the commit: an outage
          // (retried from the checkpoint), never a reason to park the event.
          throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
        }
      },
    });
    first.start();
    await eventually(async () => errors.length > 0, 'the injected crash');
    // One statement, one snapshot: the checkpoint never runs ahead of (or behind) the rows it covers.
    const [snapshot] = await dataSource.query(
      `SELECT (SELECT commit_position FROM "audit".event_store_checkpoints WHERE subscription_id = $1) AS checkpoint,
              (SELECT max(commit_position)::text FROM ${tables.events}) AS committed`,
      [LIVE_SUBSCRIPTION],
    );
    checkpointAtCrash = snapshot.checkpoint;
    committedAtCrash = snapshot.committed;
    expect(checkpointAtCrash).toBe(committedAtCrash);
    await eventually(async () => (await timelineRows()) === total, 'the resumed projection to finish');
    await first.stop();
    expect(crashes).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM (SELECT stream, revision FROM ${tables.events} GROUP BY 1, 2 HAVING count(*) > 1) d`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM ${tables.grants}`)).toBe(scenarios.length);
    expect(await count(`SELECT count(*) AS n FROM ${tables.grants} WHERE revoked_at IS NULL`)).toBe(0);
  });

  it('continues after a stop and a restart from where it stopped, without duplicates', async () => {
    const more = Array.from({ length: 4 }, (_, i) => RequestScenario.create({ id: `u-late-${i}`, kind: 'person' }, 'res-late', 'read').requested(10 + i, { automatic: true }).granted(10 + i));
    const before = await timelineRows();
    const stopping = runner();
    stopping.start();
    for (const s of more.slice(0, 2)) await appendScenario(client, s);
    await eventually(async () => (await timelineRows()) >= before + 3, 'some of the new events');
    await stopping.stop();
    for (const s of more.slice(2)) await appendScenario(client, s);
    const restarted = runner();
    restarted.start();
    const expected = before + more.reduce((n, s) => n + s.events.length, 0);
    await eventually(async () => (await timelineRows()) === expected, 'the restarted projection to finish');
    await restarted.stop();
    expect(await timelineRows()).toBe(expected);
    const [{ p }] = await dataSource.query(`SELECT max(commit_position)::text AS p FROM ${tables.events}`);
    expect(String((await restarted.checkpoint())?.commit)).toBe(p);
    expect(await count(`SELECT count(*) AS n FROM ${tables.grants} WHERE resource_id = 'res-late'`)).toBe(4);
  });
});
