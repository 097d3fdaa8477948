import { Client } from 'pg';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { createTestDatabase, type TestDatabase } from '@kairos/testing';
import {
  append,
  handleCommand,
  loadAggregate,
  PgCheckpointStore,
  subscribeToCategory,
  type CategoryEvent,
  type Decider,
  type DomainEvent,
  type LogPosition,
} from '../src';
import { startEventStoreProcess, type EventStoreProcess } from './event-store-process';

type CounterEvent = DomainEvent<'Incremented', { by: number }> | DomainEvent<'Capped', { at: number }>;
type CounterCommand = { type: 'Increment'; by: number } | { type: 'Explode' };
interface Counter {
  readonly value: number;
  readonly capped: boolean;
}

class CounterCapped extends Error {
  readonly code = 'COUNTER.CAPPED';
}

const counter: Decider<CounterCommand, Counter, CounterEvent> = {
  initialState: () => ({ value: 0, capped: false }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'Incremented':
        return { ...state, value: state.value + event.data.by };
      case 'Capped':
        return { ...state, capped: true };
      default: {
        const never: never = event;
        return never;
      }
    }
  },
  decide: (command, state) => {
    if (command.type === 'Explode') throw new CounterCapped('exploded');
    if (state.capped) throw new CounterCapped('the counter is capped');
    const next = state.value + command.by;
    const events: CounterEvent[] = [{ type: 'Incremented', data: { by: command.by } }];
    if (next >= 100) events.push({ type: 'Capped', data: { at: next } });
    return events;
  },
};

let server: EventStoreProcess;
let client: EventStoreDBClient;
let unique = 0;
const streamFor = (category: string): string => `${category}-${Date.now().toString(36)}${unique++}`;

beforeAll(async () => {
  server = await startEventStoreProcess();
  client = EventStoreDBClient.connectionString(server.connectionString);
});
afterAll(async () => {
  await client.dispose();
  await server.stop();
});

describe('append', () => {
  it('returns the next revision and position', async () => {
    const stream = streamFor('counter');
    const result = await append(client, stream, [{ type: 'Incremented', data: { by: 1 } }], 'no_stream');
    expect(result).toMatchObject({ ok: true, nextRevision: 0n });
    if (result.ok) expect(result.position.commit).toBeGreaterThan(0n);
  });

  it('returns a conflict as a result, with the actual revision', async () => {
    const stream = streamFor('counter');
    await append(client, stream, [{ type: 'Incremented', data: { by: 1 } }], 'any');
    expect(await append(client, stream, [{ type: 'Incremented', data: { by: 1 } }], 'no_stream')).toEqual({
      ok: false,
      reason: 'wrong_expected_version',
      actualRevision: 0n,
    });
    expect(await append(client, streamFor('counter'), [{ type: 'Incremented', data: { by: 1 } }], 3n)).toEqual({
      ok: false,
      reason: 'wrong_expected_version',
      actualRevision: 'no_stream',
    });
  });

  it('writes a retry with the same event ids once', async () => {
    const stream = streamFor('counter');
    const event = { type: 'Incremented', data: { by: 1 }, id: '6f1d1c1e-8a4a-4a55-9a0e-0b1f5f0d2a11' };
    const first = await append(client, stream, [event], 'no_stream');
    expect(await append(client, stream, [event], 'no_stream')).toEqual(first);
    expect((await loadAggregate(client, stream, counter.evolve, counter.initialState())).events).toHaveLength(1);
  });
});

describe('loadAggregate', () => {
  it('folds the stream and reports its revision', async () => {
    const stream = streamFor('counter');
    await append(
      client,
      stream,
      [
        { type: 'Incremented', data: { by: 2 } },
        { type: 'Incremented', data: { by: 3 } },
      ],
      'no_stream',
    );
    const loaded = await loadAggregate(client, stream, counter.evolve, counter.initialState());
    expect(loaded).toEqual({
      state: { value: 5, capped: false },
      revision: 1n,
      events: [
        { type: 'Incremented', data: { by: 2 }, metadata: undefined },
        { type: 'Incremented', data: { by: 3 }, metadata: undefined },
      ],
    });
  });

  it('gives the initial state for a stream that does not exist', async () => {
    expect(await loadAggregate(client, streamFor('counter'), counter.evolve, counter.initialState())).toEqual({
      state: { value: 0, capped: false },
      revision: 'no_stream',
      events: [],
    });
  });
});

describe('handleCommand', () => {
  it('decides against the current state and appends', async () => {
    const stream = streamFor('counter');
    await handleCommand({ client, stream, decider: counter, command: { type: 'Increment', by: 60 } });
    const result = await handleCommand({ client, stream, decider: counter, command: { type: 'Increment', by: 50 } });
    expect(result.events.map((e) => e.type)).toEqual(['Incremented', 'Capped']);
    expect(result.state).toEqual({ value: 110, capped: true });
    expect(result.nextRevision).toBe(2n);
  });

  it('lets domain errors through unchanged', async () => {
    const stream = streamFor('counter');
    await expect(handleCommand({ client, stream, decider: counter, command: { type: 'Explode' } })).rejects.toBeInstanceOf(CounterCapped);
  });

  it('retries concurrent commands against the new state, so none is lost', async () => {
    const stream = streamFor('counter');
    await Promise.all(
      Array.from({ length: 10 }, () =>
        handleCommand({ client, stream, decider: counter, command: { type: 'Increment', by: 1 }, maxRetries: 20 }),
      ),
    );
    const loaded = await loadAggregate(client, stream, counter.evolve, counter.initialState());
    expect(loaded.state.value).toBe(10);
    expect(loaded.revision).toBe(9n);
  });

  it('re-decides after a conflict, so a rule sees the winner’s events', async () => {
    const stream = streamFor('counter');
    await handleCommand({ client, stream, decider: counter, command: { type: 'Increment', by: 90 } });
    const results = await Promise.allSettled([
      handleCommand({ client, stream, decider: counter, command: { type: 'Increment', by: 20 } }),
      handleCommand({ client, stream, decider: counter, command: { type: 'Increment', by: 30 } }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(CounterCapped);
  });

  it('gives up after the retry budget with a typed error', async () => {
    const stream = streamFor('counter');
    // Another writer always gets in between the read and the append.
    const contended = new Proxy(client, {
      get(target, property, receiver) {
        if (property !== 'appendToStream') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<EventStoreDBClient['appendToStream']>) => {
          await target.appendToStream(stream, jsonEvent({ type: 'Incremented', data: { by: 0 } }));
          return target.appendToStream(...args);
        };
      },
    });
    await expect(
      handleCommand({ client: contended, stream, decider: counter, command: { type: 'Increment', by: 1 }, maxRetries: 2 }),
    ).rejects.toMatchObject({
      code: 'EVENT_STORE.CONCURRENCY_RETRIES_EXHAUSTED',
      attempts: 3,
    });
    expect((await loadAggregate(client, stream, counter.evolve, counter.initialState())).events).toHaveLength(3);
  });
});

describe('subscribeToCategory with a PostgreSQL checkpoint', () => {
  let db: TestDatabase;
  let pg: Client;
  beforeAll(async () => {
    db = await createTestDatabase('esadapter');
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    await pg.query('CREATE SCHEMA projector');
    await pg.query('CREATE TABLE projector.totals (stream text PRIMARY KEY, total int NOT NULL)');
  });
  afterAll(async () => {
    await pg.end();
    await db.drop();
  });

  /** A projection that stores its rows and its position in one transaction. */
  async function project(category: string, checkpoints: PgCheckpointStore, until: (seen: number) => boolean): Promise<CategoryEvent[]> {
    const seen: CategoryEvent[] = [];
    const controller = new AbortController();
    await subscribeToCategory({
      client,
      category,
      fromPosition: await checkpoints.load('totals'),
      signal: controller.signal,
      handler: async (event) => {
        seen.push(event);
        await pg.query('BEGIN');
        try {
          const by = (event.data as { by: number }).by;
          await pg.query(
            'INSERT INTO projector.totals (stream, total) VALUES ($1, $2) ON CONFLICT (stream) DO UPDATE SET total = projector.totals.total + EXCLUDED.total',
            [event.streamId, by],
          );
          await checkpoints.save(pg, 'totals', event.position);
          await pg.query('COMMIT');
        } catch (error) {
          await pg.query('ROLLBACK');
          throw error;
        }
        if (until(seen.length)) controller.abort();
      },
    });
    return seen;
  }

  it('delivers only the category, in order, and resumes after the saved position', async () => {
    const category = `acc${Date.now().toString(36)}`;
    const checkpoints = new PgCheckpointStore(pg, 'projector');
    await checkpoints.ensureTable();
    expect(await checkpoints.load('totals')).toBeNull();

    await append(client, `${category}-a`, [{ type: 'Incremented', data: { by: 1 } }], 'no_stream');
    await append(client, `${category}x-b`, [{ type: 'Incremented', data: { by: 100 } }], 'no_stream');
    await append(client, `${category}-b`, [{ type: 'Incremented', data: { by: 2 } }], 'no_stream');
    const first = await project(category, checkpoints, (n) => n === 2);
    expect(first.map((e) => e.streamId)).toEqual([`${category}-a`, `${category}-b`]);
    const saved = (await checkpoints.load('totals')) as LogPosition;
    expect(saved).toEqual(first[1].position);

    await append(client, `${category}-a`, [{ type: 'Incremented', data: { by: 5 } }], 0n);
    const second = await project(category, checkpoints, (n) => n === 1);
    expect(second.map((e) => [e.streamId, e.revision])).toEqual([[`${category}-a`, 1n]]);
    const totals = await pg.query('SELECT stream, total FROM projector.totals ORDER BY stream');
    expect(totals.rows).toEqual([
      { stream: `${category}-a`, total: 6 },
      { stream: `${category}-b`, total: 2 },
    ]);
  });

  it('keeps the old position when the handler’s transaction fails', async () => {
    const category = `fail${Date.now().toString(36)}`;
    const checkpoints = new PgCheckpointStore(pg, 'projector');
    await checkpoints.ensureTable();
    await append(client, `${category}-1`, [{ type: 'Incremented', data: { by: 1 } }], 'no_stream');
    const before = await checkpoints.load('broken');
    const failure = subscribeToCategory({
      client,
      category,
      handler: async (event) => {
        await pg.query('BEGIN');
        await checkpoints.save(pg, 'broken', event.position);
        await pg.query('ROLLBACK');
        throw new Error('projection bug');
      },
    });
    await expect(failure).rejects.toThrow('projection bug');
    expect(await checkpoints.load('broken')).toEqual(before);
  });

  it('stops when aborted, even while waiting for events', async () => {
    const controller = new AbortController();
    const running = subscribeToCategory({
      client,
      category: `idle${Date.now().toString(36)}`,
      handler: () => undefined,
      signal: controller.signal,
      onCaughtUp: () => controller.abort(),
    });
    await expect(running).resolves.toBeUndefined();
  });

  it('refuses a schema name that is not an identifier', () => {
    expect(() => new PgCheckpointStore(pg, 'x"; DROP TABLE y; --')).toThrow('invalid schema name');
  });
});
