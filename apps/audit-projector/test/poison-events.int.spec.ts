import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@kairos/config';
import { registerUpcasterForTests } from '@kairos/contracts';
import { createServiceApp } from '@kairos/http';
import { openServiceDataSource, unescapeTextFromPostgres } from '@kairos/persistence';
import { authEnv, createTestDatabase, eventually, startTestEventStore, startTestIssuer, type TestDatabase, type TestIssuer } from '@kairos/testing';
import { AuditProjectorModule } from '../src/audit-projector.module';
import { config } from '../src/config';
import { migrations } from '../src/migrations';
import { replayAndCompare } from '../src/use-cases/replay/replay';
import { RequestScenario } from '@kairos/access-request-domain/testing';
import { appendScenario } from '../src/testing/event-store';
import { EventStoreEventLog } from '../src/adapters/eventstore/event-log';
import { ProjectionRunner } from '../src/adapters/eventstore/projection-runner';
import { EventStoreStreams } from '../src/adapters/eventstore/stored-streams';
import { AuditTables } from '../src/adapters/postgres/audit-schema';
import { PgRecordedChains } from '../src/adapters/postgres/recorded-chains';
import { PgReplayTarget } from '../src/adapters/postgres/replay-target';
import { formatVerification } from '../src/use-cases/verify-streams/format-verification';
import { VerifyStreams } from '../src/use-cases/verify-streams/verify-streams';

const NOW = new Date('2025-06-01T00:00:00.000Z');
const NUL_JUSTIFICATION = 'INC-7 payments\u0000down \uD800 lone high';
const NUL_COMMENT = 'ok\u0000 \uDC00 lone low';
const YEAR_ZERO = '0000-01-01T00:00:00Z';

/** The shape AccessRequested had "before" the test's version 2: `reason` instead of `justification`. */
const reasonToJustification = (data: unknown) => {
  const { reason, ...rest } = data as { reason?: string } & Record<string, unknown>;
  return reason === undefined ? rest : { ...rest, justification: reason };
};

describe('the audit projector, given events no producer should have written', () => {
  let db: TestDatabase;
  let es: Awaited<ReturnType<typeof startTestEventStore>>;
  let issuer: TestIssuer;
  let app: INestApplication;
  let client: EventStoreDBClient;
  let auditor: string;
  let undoUpcaster: () => void;
  const tables = new AuditTables('audit');

  const alice = { id: 'u-alice', kind: 'person' as const };
  const carol = { id: 'u-carol', kind: 'person' as const };
  const withNul = RequestScenario.create(alice, 'db-prod', 'read').requested(0, NUL_JUSTIFICATION).reviewed(0.5, 'u-bob', 'approve', NUL_COMMENT).granted(1);
  const yearZero = RequestScenario.create(alice, 'db-stage', 'read').requested(1, { automatic: true });
  (yearZero.events[0]!.data as { requestedAt: string }).requestedAt = YEAR_ZERO;
  const after = RequestScenario.create(carol, 'db-prod', 'read').requested(2, { automatic: true }).granted(2);
  const legacy = RequestScenario.create(carol, 's3-logs', 'read').requested(3, 'unused');
  const legacyVersioned = RequestScenario.create(carol, 's3-logs', 'write').requested(3, 'unused');

  const get = (path: string) => request(app.getHttpServer()).get(path).set('authorization', `Bearer ${auditor}`);
  const db1 = () => app.get(DataSource);
  const timelineLength = async (requestId: string) => {
    const res = await get(`/v1/audit/requests/${requestId}/timeline`);
    return res.status === 200 ? (res.body.events as unknown[]).length : 0;
  };
  /** An AccessRequested in the older shape, written straight to the store as a faulty or older producer would. */
  const appendLegacy = async (s: RequestScenario, reason: string, metadata?: Record<string, unknown>) => {
    const { justification: _dropped, ...data } = s.events[0]!.data as { justification: string } & Record<string, unknown>;
    await client.appendToStream(s.stream, jsonEvent({ type: 'AccessRequested', data: { ...data, reason } as never, ...(metadata ? { metadata } : {}) }));
  };

  beforeAll(async () => {
    undoUpcaster = registerUpcasterForTests('AccessRequested', reasonToJustification);
    [db, es, issuer] = await Promise.all([createTestDatabase(), startTestEventStore(), startTestIssuer()]);
    client = EventStoreDBClient.connectionString(es.connectionString);
    const env = { PORT: '0', LOG_LEVEL: 'error', DATABASE_URL: db.url, DATABASE_SCHEMA: 'audit', EVENTSTORE_URL: es.connectionString, ...authEnv(issuer) };
    app = await createServiceApp(AuditProjectorModule.forRoot(loadConfig(config, env), { clock: { now: () => NOW } }), { title: 't', description: 't' });
    await app.init();
    auditor = await issuer.token('u-audrey', ['auditor']);
    // Written straight to EventStoreDB, bypassing the HTTP edge, in this order.
    await appendScenario(client, withNul);
    await appendScenario(client, yearZero);
    await appendLegacy(legacy, 'legacy reason, no version in metadata');
    await appendLegacy(legacyVersioned, 'legacy reason, version 1 in metadata', { schemaVersion: 1 });
    await appendScenario(client, after);
    await eventually(async () => (await timelineLength(after.requestId)) === after.events.length, 'the projection to reach the events after the bad ones');
  }, 120_000);

  afterAll(async () => {
    undoUpcaster?.();
    await app?.close();
    await client?.dispose();
    await es?.close();
    await issuer?.close();
    await db?.drop();
  });

  it('refuses to stall on a NUL or a lone surrogate in a justification written straight to the store: later events are projected and GETs answer 200', async () => {
    expect((await get(`/v1/audit/requests/${after.requestId}/timeline`)).status).toBe(200);
    expect((await request(app.getHttpServer()).get('/health/ready')).status).toBe(200);
    const grants = await get('/v1/audit/grants/active');
    expect(grants.status).toBe(200);
    expect(grants.body.grants.map((g: { requestId: string }) => g.requestId)).toEqual(expect.arrayContaining([withNul.requestId, after.requestId]));
  });

  it('stores the justification and the review comment escaped visibly, and the escape gives back the original', async () => {
    const [row] = await db1().query(`SELECT justification FROM ${tables.requests} WHERE request_id = $1`, [withNul.requestId]);
    expect(row.justification).toBe('INC-7 payments\\u0000down \\ud800 lone high');
    expect(unescapeTextFromPostgres(row.justification)).toBe(NUL_JUSTIFICATION);
    const [review] = await db1().query(`SELECT comment FROM ${tables.reviews} WHERE request_id = $1`, [withNul.requestId]);
    expect(unescapeTextFromPostgres(review.comment)).toBe(NUL_COMMENT);
    const timeline = await get(`/v1/audit/requests/${withNul.requestId}/timeline`);
    expect(timeline.status).toBe(200);
    expect(timeline.body.events.map((e: { status: string }) => e.status)).toEqual(withNul.events.map(() => 'recorded'));
    expect(timeline.body.events[0].data.justification).toBe('INC-7 payments\\u0000down \\ud800 lone high');
  });

  it('parks an event that breaks a column constraint (year 0), shows it to auditors, and goes on', async () => {
    const parked = await get('/v1/audit/parked');
    expect(parked.status).toBe(200);
    expect(parked.body.total).toBe(1);
    expect(parked.body.events).toEqual([
      expect.objectContaining({
        subscriptionId: 'audit-projector',
        stream: yearZero.stream,
        revision: '0',
        type: 'AccessRequested',
        error: expect.stringMatching(/22008|out of range/),
        firstSeen: expect.any(String),
      }),
    ]);
    expect(parked.body.events[0].eventId).toMatch(/^[0-9a-f-]{36}$/);
    // The event itself stays in the timeline and the hash chain, marked malformed; the next ones of its stream are recorded.
    const timeline = await get(`/v1/audit/requests/${yearZero.requestId}/timeline`);
    expect(yearZero.events.length).toBeGreaterThan(1);
    expect(timeline.body.events.map((e: { status: string }) => e.status)).toEqual(yearZero.events.map((_, i) => (i === 0 ? 'malformed' : 'recorded')));
    const metrics = await request(app.getHttpServer()).get('/metrics');
    expect(metrics.text).toMatch(/kairos_parked_events\{[^}]*subscription="audit-projector"[^}]*\} 1/);
  });

  it('refuses the parked list to a requester', async () => {
    const requester = await issuer.token('u-alice', ['requester']);
    const res = await request(app.getHttpServer()).get('/v1/audit/parked').set('authorization', `Bearer ${requester}`);
    expect(res.status).toBe(403);
    expect((await get('/v1/audit/parked?limit=0')).status).toBe(400);
  });

  it('reads an older-shaped event in its upcast form, whether its metadata names version 1 or no version at all', async () => {
    const rows = await db1().query(`SELECT request_id, justification FROM ${tables.requests} WHERE request_id = ANY($1) ORDER BY justification`, [
      [legacy.requestId, legacyVersioned.requestId],
    ]);
    expect(rows).toEqual([
      { request_id: legacy.requestId, justification: 'legacy reason, no version in metadata' },
      { request_id: legacyVersioned.requestId, justification: 'legacy reason, version 1 in metadata' },
    ]);
    // The timeline shows the event as the store holds it.
    const timeline = await get(`/v1/audit/requests/${legacy.requestId}/timeline`);
    expect(timeline.body.events[0]).toMatchObject({ status: 'recorded', data: { reason: 'legacy reason, no version in metadata' } });
  });

  it('replays to the same result as the live projection, parked events and upcast events included', async () => {
    const report = await replayAndCompare({ log: new EventStoreEventLog(client, 4), target: new PgReplayTarget(db1(), tables), batchSize: 3 });
    expect(report.tables.find((t) => t.table === 'parked_events')).toMatchObject({ liveRows: 1, replayRows: 1, onlyInLive: 0, onlyInReplay: 0 });
    expect(report.parked).toEqual({ live: 1, replay: 1 });
    expect(report.equal).toBe(true);
  });

  it('counts the parked events in the verification report', async () => {
    const report = await new VerifyStreams(new PgRecordedChains(db1(), tables), new EventStoreStreams(client), { now: () => NOW }).run();
    expect(report.ok).toBe(true);
    expect(report.parkedEvents).toBe(1);
    expect(formatVerification(report)).toContain('WARNING: 1 event(s) parked by the projector');
  });
});

describe('the projection runner, when recording an event keeps failing', () => {
  let db: TestDatabase;
  let es: Awaited<ReturnType<typeof startTestEventStore>>;
  let client: EventStoreDBClient;
  let dataSource: DataSource;
  const tables = new AuditTables('faults');
  const scenarios = Array.from({ length: 3 }, (_, i) => RequestScenario.create({ id: `u-${i}`, kind: 'person' }, 'db', 'read').requested(i, { automatic: true }));
  const total = scenarios.reduce((n, s) => n + s.events.length, 0);
  const count = async (sql: string) => Number((await dataSource.query(sql))[0].n);

  beforeAll(async () => {
    [db, es] = await Promise.all([createTestDatabase(), startTestEventStore()]);
    client = EventStoreDBClient.connectionString(es.connectionString);
    dataSource = await openServiceDataSource({ url: db.url, schema: 'faults', migrations });
    for (const s of scenarios) await appendScenario(client, s);
  }, 120_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await client?.dispose();
    await es?.close();
    await db?.drop();
  });

  it('blocks and retries while the failure is a database outage, never parking the event', async () => {
    let outages = 0;
    const errors: unknown[] = [];
    const runner = new ProjectionRunner({
      client,
      dataSource,
      tables,
      subscriptionId: 'outage',
      retryDelayMs: 20,
      onError: (e) => errors.push(e),
      beforeCommit: (event) => {
        if (event.streamId === scenarios[1]!.stream && outages < 4) {
          outages++;
          throw Object.assign(new Error('the database system is shutting down'), { code: '57P03' });
        }
      },
    });
    runner.start();
    await eventually(async () => (await count(`SELECT count(*) AS n FROM ${tables.events}`)) === total, 'every event once the outage is over');
    await runner.stop();
    expect(outages).toBe(4);
    expect(errors).toHaveLength(4);
    expect(await runner.parked.count()).toBe(0);
  });

  it('parks an event whose recording keeps failing while the database answers, and goes on with the next', async () => {
    await dataSource.query(`TRUNCATE ${tables.events}, ${tables.requests}, ${tables.items}, "faults".event_store_checkpoints`);
    const poison = scenarios[1]!;
    let attempts = 0;
    const parked: string[] = [];
    const runner = new ProjectionRunner({
      client,
      dataSource,
      tables,
      subscriptionId: 'poison',
      retryDelayMs: 20,
      beforeCommit: (event) => {
        if (event.streamId === poison.stream && event.revision === 0n) {
          attempts++;
          throw new TypeError('this event can never be recorded');
        }
      },
      onParked: (event) => parked.push(`${event.streamId}@${event.revision}`),
    });
    runner.start();
    await eventually(async () => runner.handled === total, 'every event handled');
    await runner.stop();
    expect(attempts).toBe(3);
    expect(parked).toEqual([`${poison.stream}@0`]);
    expect(await count(`SELECT count(*) AS n FROM ${tables.events}`)).toBe(total - 1);
    expect(await runner.parked.list()).toEqual([
      expect.objectContaining({ subscriptionId: 'poison', stream: poison.stream, revision: '0', type: 'AccessRequested', attempts: 3, error: 'TypeError: this event can never be recorded' }),
    ]);
    // The checkpoint moved past it: a restart does not try it again.
    expect((await runner.checkpoint())?.commit).toBeDefined();
  });

  it('writes a run of events in one transaction and parks only the poison event in the middle of it', async () => {
    await dataSource.query(`TRUNCATE ${tables.events}, ${tables.requests}, ${tables.items}, "faults".event_store_checkpoints`);
    const poison = scenarios[1]!;
    const key = (event: { streamId: string; revision: bigint }) => `${event.streamId}@${event.revision}`;
    const poisonKey = `${poison.stream}@1`;
    const tried: string[] = [];
    const runner: ProjectionRunner = new ProjectionRunner({
      client,
      dataSource,
      tables,
      subscriptionId: 'poison-in-a-run',
      retryDelayMs: 20,
      beforeCommit: async (event) => {
        // The first run waits until the subscription holds every other event, so they come as one run.
        if (tried.length === 0) await eventually(async () => runner.isCaughtUp, 'the subscription to hold every event');
        tried.push(key(event));
        if (key(event) === poisonKey) throw new TypeError('this event can never be recorded');
      },
    });
    runner.start();
    await eventually(async () => runner.handled === total, 'every event handled');
    await runner.stop();

    const order = scenarios.flatMap((s) => s.events.map((_, revision) => `${s.stream}@${revision}`));
    const at = order.indexOf(poisonKey);
    expect(at).toBeGreaterThan(1);
    expect(at).toBeLessThan(order.length - 1);
    // A first run (the events the subscription held at once: `first` of them), which waited; then
    // the rest as one run, failing at the poison; the events of that run before the poison again
    // as a run; the poison alone (three tries in all); the events after it as a run.
    const first = order.indexOf(tried[at + 1]!);
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThan(at);
    expect(tried).toEqual([...order.slice(0, at + 1), ...order.slice(first, at), poisonKey, poisonKey, ...order.slice(at + 1)]);
    expect(await runner.parked.list({ subscriptionId: 'poison-in-a-run' })).toEqual([
      expect.objectContaining({ stream: poison.stream, revision: '1', attempts: 3, error: 'TypeError: this event can never be recorded' }),
    ]);
    const rows: { stream: string; revision: string; tx: string }[] = await dataSource.query(
      `SELECT stream, revision::text AS revision, xmin::text AS tx FROM ${tables.events} ORDER BY commit_position, prepare_position`,
    );
    expect(rows.map((r) => `${r.stream}@${r.revision}`)).toEqual(order.filter((k) => k !== poisonKey));
    // One transaction for the events of the failed run before the poison, one for those after it.
    expect(new Set(rows.slice(first, at).map((r) => r.tx)).size).toBe(1);
    expect(new Set(rows.slice(at).map((r) => r.tx)).size).toBe(1);
    expect(rows[first]!.tx).not.toBe(rows[at]!.tx);
    expect(await count(`SELECT count(*) AS n FROM ${tables.requests}`)).toBe(scenarios.length);
    const [{ p }] = await dataSource.query(`SELECT max(commit_position)::text AS p FROM ${tables.events}`);
    expect(String((await runner.checkpoint())?.commit)).toBe(p);
  });
});
