import { binaryEvent, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { eventMetadataFor } from '@kairos/contracts';
import type { DataSource } from 'typeorm';
import { openServiceDataSource } from '@kairos/persistence';
import { createTestDatabase, startTestEventStore, type TestDatabase } from '@kairos/testing';
import { migrations } from '../src/migrations';
import { EventStoreEventLog } from '../src/adapters/eventstore/event-log';
import { LIVE_SUBSCRIPTION, ProjectionRunner } from '../src/adapters/eventstore/projection-runner';
import { AuditTables } from '../src/adapters/postgres/audit-schema';
import { PgReplayTarget } from '../src/adapters/postgres/replay-target';
import { atHour as at, RequestScenario } from '@kairos/access-request-domain/testing';
import { appendRaw } from '../src/testing/event-store';
import { replayAndCompare } from '../src/use-cases/replay/replay';

describe('the batched replay', () => {
  let db: TestDatabase;
  let es: Awaited<ReturnType<typeof startTestEventStore>>;
  let client: EventStoreDBClient;
  let dataSource: DataSource;
  const tables = new AuditTables('audit');
  const scenarios = Array.from({ length: 5 }, (_, i) => {
    const s = RequestScenario.create({ id: `u-${i}`, kind: 'person' }, `res-${i % 2}`, 'read', i % 2 ? ['sre'] : undefined).requested(i, { duration: 'PT2H' });
    if (i === 2) return s.reviewed(i + 0.5, 'u-bob', 'deny');
    return s
      .reviewed(i + 0.5, 'u-bob', 'approve')
      .granted(i + 1)
      .expired(i + 3);
  });
  let total = 0;

  beforeAll(async () => {
    [db, es] = await Promise.all([createTestDatabase(), startTestEventStore()]);
    client = EventStoreDBClient.connectionString(es.connectionString);
    dataSource = await openServiceDataSource({ url: db.url, schema: 'audit', migrations });
    // Interleaved, so every stream spans several batches and pages of a small replay; between them
    // records the replay reads past: another category's event, a binary event in a request stream,
    // a request stream's metadata.
    const longest = Math.max(...scenarios.map((s) => s.events.length));
    for (let n = 0; n < longest; n++) {
      for (const s of scenarios) {
        const e = s.events[n];
        if (e)
          await client.appendToStream(s.stream, jsonEvent({ type: e.type, data: e.data as never, metadata: eventMetadataFor(e.type) }));
      }
      if (n === 1) {
        await client.appendToStream('inventory-1', jsonEvent({ type: 'Counted', data: { requestId: scenarios[0]!.requestId } }));
        await client.appendToStream(scenarios[4]!.stream, binaryEvent({ type: 'AccessRequested', data: Buffer.from('{"not":"json"}') }));
        await client.setStreamMetadata(scenarios[3]!.stream, { maxAge: 86_400 });
      }
    }
    total = scenarios.reduce((n, s) => n + s.events.length, 0);
    const [s0, s1, s3] = [scenarios[0]!, scenarios[1]!, scenarios[3]!];
    // Unknown and contract-breaking events, a valid one PostgreSQL refuses (year 0) and updates of nothing.
    await appendRaw(client, s0.stream, 'SomethingNobodyDeclared', { requestId: s0.requestId });
    await appendRaw(client, s1.stream, 'AccessGranted', { requestId: s1.requestId, grantedAt: 'yesterday' });
    const expired = { requestId: s3.requestId, itemId: 'item-1', grantId: s3.grantId };
    await appendRaw(client, s3.stream, 'AccessExtended', {
      ...expired,
      via: 'policy',
      previousExpiresAt: at(6),
      expiresAt: '0000-01-01T00:00:00Z',
      extendedAt: at(6),
    });
    await appendRaw(client, s3.stream, 'AccessExpired', { ...expired, grantId: 'grant-none', expiresAt: at(7), expiredAt: at(7) });
    await appendRaw(client, s3.stream, 'ApprovalExpired', {
      requestId: s3.requestId,
      itemId: 'item-1',
      approvalExpiresAt: at(8),
      expiredAt: at(8),
    });
    total += 5;
    const runner = new ProjectionRunner({ client, dataSource, tables, subscriptionId: LIVE_SUBSCRIPTION });
    runner.start();
    while (runner.handled < total) await new Promise((resolve) => setTimeout(resolve, 50));
    await runner.stop();
  }, 120_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await client?.dispose();
    await es?.close();
    await db?.drop();
  });

  it.each([
    { batchSize: 3, pageSize: 4 },
    { batchSize: 7, pageSize: 2 },
    { batchSize: 2_000, pageSize: 4_000 },
    { batchSize: 5, pageSize: 1 },
    { batchSize: 4, pageSize: 3 },
  ])('equals the live projection with batches of $batchSize and pages of $pageSize', async ({ batchSize, pageSize }) => {
    const report = await replayAndCompare({ log: new EventStoreEventLog(client, pageSize), target: new PgReplayTarget(dataSource, tables), batchSize });
    expect(report.events).toBe(total);
    expect(report.tables).toEqual(report.tables.map((t) => ({ ...t, onlyInLive: 0, onlyInReplay: 0 })));
    expect(report.equal).toBe(true);
    expect(report.replayedTo).toEqual(report.liveAt);
  });

  it('records a valid event the read models refuse as malformed, as the live projection does', async () => {
    const rows = await dataSource.query(`SELECT status, problem FROM ${tables.events} WHERE type = 'AccessExtended'`);
    expect(rows).toEqual([{ status: 'malformed', problem: expect.stringMatching(/not applicable to the read models/) }]);
  });
});
