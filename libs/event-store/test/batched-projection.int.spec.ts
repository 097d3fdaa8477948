import { Pool } from 'pg';
import { EventStoreDBClient } from '@eventstore/db-client';
import { createTestDatabase, type TestDatabase } from '@kairos/testing';
import { append, batchedProjection, PgCheckpointStore, PgParkedEvents, subscribeToCategoryInBatches, type CategoryEvent, type Queryable } from '../src';
import { startEventStoreProcess, type EventStoreProcess } from './event-store-process';

/**
 * Projections written a run of events per transaction (issue 17), against the real event store
 * server and a real PostgreSQL: runs form when events wait, a poison event in the middle of a run
 * is parked alone, everything else is written once, and the checkpoint commits with the rows.
 */
describe('a projection written in runs of events', () => {
  let server: EventStoreProcess;
  let client: EventStoreDBClient;
  let db: TestDatabase;
  let pool: Pool;
  let checkpoints: PgCheckpointStore;
  let parked: PgParkedEvents;

  const transaction = async (work: (tx: Queryable) => Promise<void>) => {
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      await work(tx);
      await tx.query('COMMIT');
    } catch (error) {
      await tx.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      tx.release();
    }
  };

  beforeAll(async () => {
    [server, db] = await Promise.all([startEventStoreProcess(), createTestDatabase('batches')]);
    client = EventStoreDBClient.connectionString(server.connectionString);
    pool = new Pool({ connectionString: db.url, max: 4 });
    await pool.query('CREATE SCHEMA runs');
    // A real constraint makes the poison: PostgreSQL refuses a negative amount, whatever is retried.
    await pool.query('CREATE TABLE runs.amounts (stream text NOT NULL, revision bigint NOT NULL, amount int NOT NULL CHECK (amount >= 0), written_by xid8 NOT NULL DEFAULT pg_current_xact_id(), PRIMARY KEY (stream, revision))');
    // Reads answer rows, as the services' TypeORM data sources do.
    const rowsOnly: Queryable = { query: async (sql, params) => (await pool.query(sql, params as unknown[])).rows };
    checkpoints = new PgCheckpointStore(rowsOnly, 'runs');
    parked = new PgParkedEvents(rowsOnly, 'runs');
    await checkpoints.ensureTable();
    await parked.ensureTable();
  }, 120_000);

  afterAll(async () => {
    await client?.dispose();
    await pool?.end();
    await server?.stop();
    await db?.drop();
  });

  /** Writes an event's row; a redelivered event changes nothing. */
  const apply = async (tx: Queryable, event: CategoryEvent) => {
    await tx.query('INSERT INTO runs.amounts (stream, revision, amount) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      event.streamId,
      event.revision.toString(),
      (event.data as { amount: number }).amount,
    ]);
  };

  const events = async (category: string, count: number): Promise<CategoryEvent[]> => {
    const found: CategoryEvent[] = [];
    const controller = new AbortController();
    await subscribeToCategoryInBatches({
      client,
      category,
      signal: controller.signal,
      handler: (run) => {
        found.push(...run);
        if (found.length >= count) controller.abort();
      },
    });
    return found;
  };

  it('parks only the poison event of a run, writes the others once in one transaction with the checkpoint past the run', async () => {
    const category = `poison${Date.now().toString(36)}`;
    for (let i = 0; i < 7; i++) await append(client, `${category}-${i}`, [{ type: 'Amount', data: { amount: i === 3 ? -1 : i } }], 'no_stream');
    const run = await events(category, 7);
    expect(run.map((e) => e.streamId)).toEqual(Array.from({ length: 7 }, (_, i) => `${category}-${i}`));
    const subscriptionId = `${category}-projection`;
    const tried: string[] = [];
    const parkedEvents: string[] = [];
    const project = batchedProjection(
      async (tx, event) => {
        tried.push(event.streamId);
        await apply(tx, event);
      },
      {
        db: pool,
        parked,
        subscriptionId,
        transaction,
        saveCheckpoint: (tx, event) => checkpoints.save(tx, subscriptionId, event.position),
        retryDelayMs: 1,
        onParked: (event) => parkedEvents.push(event.streamId),
      },
    );

    // The whole run in one call, the poison fourth.
    await project(run);

    const s = (i: number) => `${category}-${i}`;
    // The run up to the poison, then the events before it again as a run, the poison alone twice
    // more (three tries in all), then the rest as a run.
    expect(tried).toEqual([s(0), s(1), s(2), s(3), s(0), s(1), s(2), s(3), s(3), s(4), s(5), s(6)]);
    expect(parkedEvents).toEqual([s(3)]);
    expect(await parked.list({ subscriptionId })).toEqual([expect.objectContaining({ stream: s(3), revision: '0', type: 'Amount', attempts: 3, error: expect.stringMatching(/^\[23514\]/) })]);
    const { rows } = await pool.query<{ stream: string; written_by: string }>('SELECT stream, written_by::text FROM runs.amounts WHERE stream LIKE $1 ORDER BY stream', [`${category}-%`]);
    expect(rows.map((r) => r.stream)).toEqual([s(0), s(1), s(2), s(4), s(5), s(6)]);
    // Each side of the poison was written in one transaction.
    expect(new Set(rows.slice(0, 3).map((r) => r.written_by)).size).toBe(1);
    expect(new Set(rows.slice(3).map((r) => r.written_by)).size).toBe(1);
    expect(await checkpoints.load(subscriptionId)).toEqual(run[6]!.position);

    // Handing the same run over again (a restart before the checkpoint moved) writes nothing twice.
    await project(run);
    expect((await pool.query('SELECT count(*)::int AS n FROM runs.amounts WHERE stream LIKE $1', [`${category}-%`])).rows[0].n).toBe(6);
    expect(await parked.count(subscriptionId)).toBe(1);
  });

  it('commits a run with its checkpoint or not at all: an outage fails the run, nothing is parked', async () => {
    const category = `outage${Date.now().toString(36)}`;
    for (let i = 0; i < 4; i++) await append(client, `${category}-${i}`, [{ type: 'Amount', data: { amount: i } }], 'no_stream');
    const run = await events(category, 4);
    const subscriptionId = `${category}-projection`;
    const project = batchedProjection(
      async (tx, event) => {
        await apply(tx, event);
        // What the projection sees when its connection dies mid-run: an outage, never the event's fault.
        if (event.streamId === `${category}-2`) throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
      },
      { db: pool, parked, subscriptionId, transaction, saveCheckpoint: (tx, event) => checkpoints.save(tx, subscriptionId, event.position) },
    );
    await expect(project(run)).rejects.toThrow('terminating connection');
    expect((await pool.query('SELECT count(*)::int AS n FROM runs.amounts WHERE stream LIKE $1', [`${category}-%`])).rows[0].n).toBe(0);
    expect(await checkpoints.load(subscriptionId)).toBeNull();
    expect(await parked.count(subscriptionId)).toBe(0);
  });

  it('hands over the events that waited while the handler worked as one run, in log order', async () => {
    const category = `runs${Date.now().toString(36)}`;
    const total = 200;
    for (let i = 0; i < total; i++) await append(client, `${category}-${i % 7}`, [{ type: 'Amount', data: { amount: i } }], 'any');
    const runs: number[] = [];
    const seen: number[] = [];
    const controller = new AbortController();
    await subscribeToCategoryInBatches({
      client,
      category,
      signal: controller.signal,
      handler: async (run) => {
        runs.push(run.length);
        seen.push(...run.map((e) => (e.data as { amount: number }).amount));
        // A transaction's worth of work: the next events wait in the subscription meanwhile.
        await transaction(async (tx) => void (await tx.query('SELECT pg_sleep(0.01)')));
        if (seen.length >= total) controller.abort();
      },
    });
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(runs.length).toBeLessThan(total);
    expect(Math.max(...runs)).toBeGreaterThan(1);
  });
});
