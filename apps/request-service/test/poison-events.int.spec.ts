import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { EventStoreDBClient, FORWARDS, jsonEvent, START } from '@eventstore/db-client';
import { Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@kairos/config';
import { eventMetadataFor, registerUpcasterForTests } from '@kairos/contracts';
import { createServiceApp } from '@kairos/http';
import { headerValue, ensureKairosTopics } from '@kairos/messaging';
import { openServiceDataSource, unescapeTextFromPostgres } from '@kairos/persistence';
import { authEnv, createTestDatabase, eventually, messageKeysEnv, startTestEventStore, startTestIssuer, startTestKafka, type TestDatabase, type TestIssuer } from '@kairos/testing';
import { RequestScenario } from '@kairos/access-request-domain/testing';
import { AccessRequestStore } from '../src/adapters/eventstore/access-request.store';
import { config } from '../src/config';
import { RequestServiceModule } from '../src/request-service.module';

const NUL_JUSTIFICATION = 'INC-9 orders\u0000down \uD800 lone high';
const NUL_COMMENT = 'fine\u0000 \uDC00 lone low';
const YEAR_ZERO = '0000-01-01T00:00:00Z';
const SCHEMA = 'request_service';

const reasonToJustification = (data: unknown) => {
  const { reason, ...rest } = data as { reason?: string } & Record<string, unknown>;
  return reason === undefined ? rest : { ...rest, justification: reason };
};

describe('the request read model and relay, given events no producer should have written', () => {
  let db: TestDatabase;
  let es: Awaited<ReturnType<typeof startTestEventStore>>;
  let kafkaBroker: Awaited<ReturnType<typeof startTestKafka>>;
  let issuer: TestIssuer;
  let app: INestApplication;
  let client: EventStoreDBClient;
  let admin: string;
  let env: Record<string, string>;
  const undo: (() => void)[] = [];
  const relayed = new Map<string, { type: string; data: Record<string, unknown> }>();
  let consumer: ReturnType<Kafka['consumer']>;

  const alice = { id: 'alice', kind: 'person' as const };
  const withNul = RequestScenario.create(alice, 'db-prod', 'read').requested(0, NUL_JUSTIFICATION).reviewed(0.5, 'u-bob', 'approve', NUL_COMMENT).granted(1);
  const yearZero = RequestScenario.create(alice, 'db-stage', 'read').requested(1);
  (yearZero.events[0]!.data as { requestedAt: string }).requestedAt = YEAR_ZERO;
  const notUuid = RequestScenario.create(alice, 'db-stage', 'read').requested(1);
  const NOT_UUID_STREAM = 'access-request-not-a-uuid';
  const legacy = RequestScenario.create(alice, 's3-logs', 'read').requested(3, 'unused');
  const after = RequestScenario.create(alice, 'db-prod', 'write').requested(4, { automatic: true });

  const appendScenario = async (s: RequestScenario) => {
    for (const e of s.events) await client.appendToStream(s.stream, jsonEvent({ type: e.type, data: e.data as never, metadata: eventMetadataFor(e.type) }));
  };
  const get = (path: string) => request(app.getHttpServer()).get(path).set('authorization', `Bearer ${admin}`);
  const ds = () => app.get(DataSource);
  const parkedRows = async () =>
    (await ds().query(`SELECT subscription_id, stream, revision::text AS revision, type, error FROM ${SCHEMA}.parked_events ORDER BY subscription_id, commit_position`)) as {
      subscription_id: string;
      stream: string;
      revision: string;
      type: string;
      error: string;
    }[];
  const snapshot = async () => ({
    requests: await ds().query(`SELECT request_id, requester_id, status, resource_ids, revision, state, view FROM ${SCHEMA}.access_requests ORDER BY request_id`),
    history: await ds().query(`SELECT request_id, revision, event_id, type, data FROM ${SCHEMA}.access_request_history ORDER BY request_id, revision`),
    parked: await ds().query(`SELECT subscription_id, stream, revision, event_id, type, error FROM ${SCHEMA}.parked_events WHERE subscription_id = 'request-read-model' ORDER BY stream, revision`),
  });
  const startApp = async () => {
    app = await createServiceApp(RequestServiceModule.forRoot(loadConfig(config, env)), { title: 't', description: 't' });
    await RequestServiceModule.startInbox(app);
  };
  const caughtUp = () => eventually(async () => (await get(`/v1/access-requests/${after.requestId}`)).status === 200, 'the read model to reach the events after the bad ones');

  beforeAll(async () => {
    // AccessRequested "was" { reason } in version 1 and is { justification } in version 2; ItemCancelled
    // gets a version 2 of the same shape, so what the store writes shows in its metadata.
    undo.push(registerUpcasterForTests('AccessRequested', reasonToJustification), registerUpcasterForTests('ItemCancelled', (d) => d));
    [db, es, kafkaBroker, issuer] = await Promise.all([createTestDatabase(), startTestEventStore(), startTestKafka(), startTestIssuer()]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(kafkaBroker.brokers);
    client = EventStoreDBClient.connectionString(es.connectionString);
    env = {
      ...authEnv(issuer),
      ...messageKeysEnv('request-service'),
      PORT: '0',
      LOG_LEVEL: 'error',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBroker.brokers.join(','),
      EVENTSTORE_URL: es.connectionString,
      APPROVAL_POLICY_URL: 'http://127.0.0.1:9',
    };
    const kafka = new Kafka({ clientId: 'poison-test', brokers: kafkaBroker.brokers, logLevel: logLevel.NOTHING });
    consumer = kafka.consumer({ groupId: 'poison-test' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'access-request.events', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        relayed.set(headerValue(message.headers, 'ce_id')!, { type: headerValue(message.headers, 'ce_type')!, data: JSON.parse(message.value!.toString('utf8')) });
      },
    });
    await startApp();
    admin = await issuer.token('root', ['admin']);

    // Written straight to EventStoreDB, bypassing the HTTP edge, as a faulty producer would.
    await appendScenario(withNul);
    await client.appendToStream(withNul.stream, jsonEvent({ type: 'SomethingNobodyDeclared', data: { requestId: withNul.requestId } }));
    await appendScenario(yearZero);
    await client.appendToStream(NOT_UUID_STREAM, jsonEvent({ type: 'AccessRequested', data: notUuid.events[0]!.data as never }));
    const { justification: _dropped, ...old } = legacy.events[0]!.data as { justification: string } & Record<string, unknown>;
    await client.appendToStream(legacy.stream, jsonEvent({ type: 'AccessRequested', data: { ...old, reason: 'a legacy reason' } as never }));
    await appendScenario(after);
    await caughtUp();
  }, 120_000);

  afterAll(async () => {
    for (const u of undo.reverse()) u();
    await consumer?.disconnect();
    await app?.close();
    await client?.dispose();
    await Promise.all([kafkaBroker?.close(), es?.close(), issuer?.close()]);
    await db?.drop();
  }, 120_000);

  it('refuses to stall on a NUL or a lone surrogate in a justification and a review comment written straight to the store: later events are projected, GETs answer 200', async () => {
    const res = await get(`/v1/access-requests/${withNul.requestId}`);
    expect(res.status).toBe(200);
    expect(res.body.justification).toBe('INC-9 orders\\u0000down \\ud800 lone high');
    expect(unescapeTextFromPostgres(res.body.justification)).toBe(NUL_JUSTIFICATION);
    const [review] = await ds().query(`SELECT data FROM ${SCHEMA}.access_request_history WHERE request_id = $1 AND type = 'ReviewRecorded'`, [withNul.requestId]);
    expect(unescapeTextFromPostgres(review.data.comment)).toBe(NUL_COMMENT);
    expect((await get(`/v1/access-requests/${after.requestId}`)).status).toBe(200);
    expect((await get('/v1/access-requests?limit=50')).status).toBe(200);
  });

  it('stores what it can of a request whose view breaks a column (year 0), parks the rest, and answers its GET with a 422, not a 503', async () => {
    const history = await ds().query(`SELECT revision::text AS revision FROM ${SCHEMA}.access_request_history WHERE request_id = $1`, [yearZero.requestId]);
    expect(history).toEqual([{ revision: '0' }]);
    const res = await get(`/v1/access-requests/${yearZero.requestId}`);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('ACCESS_REQUEST.UNREADABLE');
  });

  it('parks what cannot be stored or published, with the error, and counts it on /metrics', async () => {
    const rows = await parkedRows();
    const readModel = rows.filter((r) => r.subscription_id === 'request-read-model');
    expect(readModel).toEqual([
      expect.objectContaining({ stream: withNul.stream, revision: String(withNul.events.length), type: 'SomethingNobodyDeclared', error: expect.stringMatching(/UpcastError/) }),
      expect.objectContaining({ stream: yearZero.stream, revision: '0', type: 'AccessRequested', error: expect.stringMatching(/22008/) }),
      expect.objectContaining({ stream: NOT_UUID_STREAM, revision: '0', type: 'AccessRequested', error: expect.stringMatching(/22P02/) }),
    ]);
    // The relay publishes everything that matches its published schema, and parks only the unknown type.
    expect(rows.filter((r) => r.subscription_id === 'kafka-relay')).toEqual([expect.objectContaining({ stream: withNul.stream, type: 'SomethingNobodyDeclared' })]);
    const metrics = await request(app.getHttpServer()).get('/metrics');
    expect(metrics.text).toMatch(/kairos_parked_events\{[^}]*subscription="request-read-model"[^}]*\} 3/);
    expect(metrics.text).toMatch(/kairos_parked_events\{[^}]*subscription="kafka-relay"[^}]*\} 1/);
  });

  it('relays the original text of the NUL event, and the upcast form of an older event', async () => {
    const ids = new Map<string, string>();
    for await (const e of client.readAll({ fromPosition: START, direction: FORWARDS })) if (e.event?.streamId.startsWith('access-request-')) ids.set(`${e.event.streamId}@${e.event.revision}`, e.event.id);
    const nulId = ids.get(`${withNul.stream}@0`)!;
    const legacyId = ids.get(`${legacy.stream}@0`)!;
    await eventually(async () => relayed.has(nulId) && relayed.has(legacyId), 'both events on Kafka');
    expect(relayed.get(nulId)!.data.justification).toBe(NUL_JUSTIFICATION);
    expect(relayed.get(legacyId)!.data).toMatchObject({ justification: 'a legacy reason' });
    expect(relayed.get(legacyId)!.data).not.toHaveProperty('reason');
  });

  it('reads an event recorded without a version as version 1 and upcasts it: the read model, the store fold, and the version the store writes', async () => {
    const res = await get(`/v1/access-requests/${legacy.requestId}`);
    expect(res.status).toBe(200);
    expect(res.body.justification).toBe('a legacy reason');
    const { state } = await app.get(AccessRequestStore).load(legacy.requestId);
    expect(state).toMatchObject({ status: 'open', justification: 'a legacy reason' });
    const requester = await issuer.token('alice', ['requester']);
    const cancelled = await request(app.getHttpServer()).post(`/v1/access-requests/${legacy.requestId}/cancel`).set('authorization', `Bearer ${requester}`).send({});
    expect(cancelled.status).toBe(200);
    const written: { type: string; metadata: unknown }[] = [];
    for await (const e of client.readStream(legacy.stream)) written.push({ type: e.event!.type, metadata: e.event!.metadata });
    expect(written[0]!.metadata ?? {}).not.toHaveProperty('schemaVersion');
    expect(written.slice(1)).toEqual([{ type: 'ItemCancelled', metadata: expect.objectContaining({ schemaVersion: 2, actorId: 'alice' }) }]);
  });

  it('rebuilds to the same rows from the first event as it built live', async () => {
    const revisionOf = async (id: string) => (await ds().query(`SELECT revision::text AS r FROM ${SCHEMA}.access_requests WHERE request_id = $1`, [id]))[0]?.r;
    await eventually(async () => (await revisionOf(legacy.requestId)) === '1', 'the live read model to fold the cancellation');
    const live = await snapshot();
    await app.close();
    const reset = await openServiceDataSource({ url: db.url, schema: SCHEMA, migrations: [] });
    await reset.query(`TRUNCATE ${SCHEMA}.access_requests, ${SCHEMA}.access_request_history`);
    await reset.query(`DELETE FROM ${SCHEMA}.parked_events WHERE subscription_id = 'request-read-model'`);
    await reset.query(`DELETE FROM ${SCHEMA}.event_store_checkpoints WHERE subscription_id = 'request-read-model'`);
    await reset.destroy();
    await startApp();
    await caughtUp();
    await eventually(async () => (await snapshot()).history.length === live.history.length, 'the rebuild to reach the last event');
    expect(await snapshot()).toEqual(live);
  });
});
