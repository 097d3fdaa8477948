import 'reflect-metadata';
import { EventStoreDBClient, FORWARDS, jsonEvent, START } from '@eventstore/db-client';
import type { JSONType } from '@eventstore/db-client';
import type { DataSource } from 'typeorm';
import { eventMetadataFor } from '@kairos/contracts';
import type { CategoryEvent } from '@kairos/event-store';
import { ReadinessRegistry } from '@kairos/http';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { openServiceDataSource } from '@kairos/persistence';
import { createTestDatabase, startTestEventStore, type TestDatabase } from '@kairos/testing';
import { RequestScenario } from '@kairos/access-request-domain/testing';
import { migrations } from '../src/migrations';
import { READ_MODEL_SUBSCRIPTION, RequestProjection } from '../src/adapters/eventstore/request-projection';

const SCHEMA = 'request_service';

/**
 * The read model is written a run of events per transaction (issue 17); a poison event in the
 * middle of a run is parked alone (ADR 0016) and the rest of the run is stored, exactly once.
 * Real EventStoreDB-compatible server and PostgreSQL; the run is handed to the projection's
 * handler as the subscription hands it (the subscription itself is not started).
 */
describe('the request read model, written in runs', () => {
  let db: TestDatabase;
  let es: Awaited<ReturnType<typeof startTestEventStore>>;
  let client: EventStoreDBClient;
  let dataSource: DataSource;
  let projection: RequestProjection;
  const logged: string[] = [];

  const alice = { id: 'alice', kind: 'person' as const };
  const before = RequestScenario.create(alice, 'db-prod', 'read').requested(0, { automatic: true, duration: 'PT2H' }).granted(0);
  const notUuid = RequestScenario.create(alice, 'db-stage', 'read').requested(1);
  const NOT_UUID_STREAM = 'access-request-not-a-uuid';
  const after = RequestScenario.create(alice, 'db-prod', 'write').requested(2, { automatic: true, duration: 'PT2H' }).granted(2);

  beforeAll(async () => {
    [db, es] = await Promise.all([createTestDatabase(), startTestEventStore()]);
    client = EventStoreDBClient.connectionString(es.connectionString);
    dataSource = await openServiceDataSource({ url: db.url, schema: SCHEMA, migrations });
    const logger = new JsonLogger('request-service-test', 'info', (line) => logged.push(line));
    projection = new RequestProjection(client, dataSource, logger, new ReadinessRegistry(), new ServiceMetrics('request-service-test'));
  }, 120_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await client?.dispose();
    await es?.close();
    await db?.drop();
  });

  const appendScenario = async (s: RequestScenario) => {
    for (const e of s.events) await client.appendToStream(s.stream, jsonEvent({ type: e.type, data: e.data as never, metadata: eventMetadataFor(e.type) }));
  };

  /** The request events in log order, as the subscription delivers them. */
  const recorded = async (): Promise<CategoryEvent[]> => {
    const events: CategoryEvent[] = [];
    for await (const { event } of client.readAll({ fromPosition: START, direction: FORWARDS })) {
      if (!event || !event.isJson || !event.position || !event.streamId.startsWith('access-request-')) continue;
      const { id, streamId, revision, type, created, position } = event;
      events.push({ id, streamId, revision, type, created, position, data: event.data as JSONType, metadata: event.metadata as JSONType | undefined });
    }
    return events;
  };

  it('stores a run in one transaction with its checkpoint, and parks only the poison event in the middle of it', async () => {
    await appendScenario(before);
    // Written straight to the store, as a faulty producer would: its request id is not a uuid.
    await client.appendToStream(NOT_UUID_STREAM, jsonEvent({ type: 'AccessRequested', data: notUuid.events[0]!.data as never, metadata: eventMetadataFor('AccessRequested') }));
    await appendScenario(after);
    const run = await recorded();
    const at = run.findIndex((e) => e.streamId === NOT_UUID_STREAM);
    expect(at).toBe(before.events.length);
    expect(run).toHaveLength(before.events.length + 1 + after.events.length);

    await projection.project(run);

    const history: { request_id: string; revision: string }[] = await dataSource.query(
      `SELECT request_id, revision::text AS revision FROM ${SCHEMA}.access_request_history ORDER BY recorded_at, request_id, revision`,
    );
    expect(history.map((h) => `${h.request_id}@${h.revision}`).sort()).toEqual(
      [...before.events.map((_, i) => `${before.requestId}@${i}`), ...after.events.map((_, i) => `${after.requestId}@${i}`)].sort(),
    );
    const requests: { request_id: string; status: string; revision: string }[] = await dataSource.query(`SELECT request_id, status, revision::text AS revision FROM ${SCHEMA}.access_requests ORDER BY request_id`);
    expect(requests).toEqual(
      [
        { request_id: before.requestId, status: 'active', revision: String(before.events.length - 1) },
        { request_id: after.requestId, status: 'active', revision: String(after.events.length - 1) },
      ].sort((a, b) => a.request_id.localeCompare(b.request_id)),
    );
    const parked: { stream: string; error: string }[] = await dataSource.query(`SELECT stream, error FROM ${SCHEMA}.parked_events WHERE subscription_id = $1`, [READ_MODEL_SUBSCRIPTION]);
    expect(parked).toEqual([{ stream: NOT_UUID_STREAM, error: expect.stringMatching(/22P02/) }]);
    const [checkpoint]: { commit_position: string }[] = await dataSource.query(`SELECT commit_position FROM ${SCHEMA}.event_store_checkpoints WHERE subscription_id = $1`, [READ_MODEL_SUBSCRIPTION]);
    expect(checkpoint!.commit_position).toBe(run[run.length - 1]!.position.commit.toString());
    // The requests on both sides of the poison and the poison's parked row were written by one
    // transaction: now() is the start of the transaction that wrote each.
    const started: { at: string }[] = await dataSource.query(
      `SELECT updated_at::text AS at FROM ${SCHEMA}.access_requests UNION ALL SELECT first_seen::text FROM ${SCHEMA}.parked_events`,
    );
    expect(started).toHaveLength(3);
    expect(new Set(started.map((r) => r.at)).size).toBe(1);
    expect(logged.some((line) => line.includes('event parked') && line.includes(NOT_UUID_STREAM))).toBe(true);

    // The same run again (a restart before the checkpoint moved): nothing is stored or parked twice.
    await projection.project(run);
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.access_request_history`)).toEqual([{ n: history.length }]);
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.parked_events`)).toEqual([{ n: 1 }]);
    expect(await dataSource.query(`SELECT request_id, status, revision::text AS revision FROM ${SCHEMA}.access_requests ORDER BY request_id`)).toEqual(requests);
  });
});
