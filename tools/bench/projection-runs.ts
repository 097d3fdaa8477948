import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { eventMetadataFor } from '@kairos/contracts';
import { ReadinessRegistry } from '@kairos/http';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { openServiceDataSource } from '@kairos/persistence';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, startEmbeddedPostgres, startTestEventStore } from '@kairos/testing';
import { RequestScenario } from '@kairos/access-request-domain/testing';
// The projections' own classes, measured outside their services.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { migrations as auditMigrations } from '../../apps/audit-projector/src/migrations';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { AuditTables } from '../../apps/audit-projector/src/adapters/postgres/audit-schema';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ProjectionRunner } from '../../apps/audit-projector/src/adapters/eventstore/projection-runner';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { migrations as requestMigrations } from '../../apps/request-service/src/migrations';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { RequestProjection } from '../../apps/request-service/src/adapters/eventstore/request-projection';

/**
 * How fast the request read model and the audit projection catch up with a backlog, written one
 * event per transaction (`KAIROS_PROJECTION_BATCH=1`, as before issue 17) or in runs (ADR 0030).
 * A backlog is what a projection meets after a restart, and what piles up under load.
 *
 *   node tools/run-ts.js tools/bench/projection-runs.ts [requests]      (default 500, ~6 events each)
 */
async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 500);
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-projection-runs-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir });
  process.env.KAIROS_TEST_PG_URL = pg.url;
  const [db, es] = await Promise.all([createTestDatabase('runs'), startTestEventStore()]);
  const client = EventStoreDBClient.connectionString(es.connectionString);
  const logger = new JsonLogger('projection-runs', 'error', () => undefined);
  try {
    let events = 0;
    for (let i = 0; i < requests; i++) {
      const s = RequestScenario.create({ id: `u-${i % 50}`, kind: 'person' }, `res-${i % 7}`, 'read').requested(i, { automatic: true, duration: 'PT2H' }).granted(i).expired(i + 2);
      await client.appendToStream(s.stream, s.events.map((e) => jsonEvent({ type: e.type, data: e.data as never, metadata: eventMetadataFor(e.type) })));
      events += s.events.length;
    }
    const rows: string[] = [];
    for (const batch of ['1', '']) {
      process.env.KAIROS_PROJECTION_BATCH = batch;
      const label = batch === '1' ? 'one event per transaction' : 'runs (ADR 0030)';

      const auditSchema = `audit_${batch || 'runs'}`;
      const audit = await openServiceDataSource({ url: db.url, schema: auditSchema, migrations: auditMigrations });
      const runner = new ProjectionRunner({ client, dataSource: audit, tables: new AuditTables(auditSchema), subscriptionId: 'bench' });
      let started = Date.now();
      runner.start();
      while (runner.handled < events) await new Promise((r) => setTimeout(r, 20));
      const auditSeconds = (Date.now() - started) / 1000;
      await runner.stop();
      await audit.destroy();

      const readSchema = `read_${batch || 'runs'}`;
      const read = await openServiceDataSource({ url: db.url, schema: readSchema, migrations: requestMigrations });
      const projection = new RequestProjection(client, read, logger, new ReadinessRegistry(), new ServiceMetrics('projection-runs'));
      started = Date.now();
      projection.onApplicationBootstrap();
      const history = async () => Number((await read.query(`SELECT count(*)::int AS n FROM "${readSchema}".access_request_history`))[0].n);
      while ((await history()) < events) await new Promise((r) => setTimeout(r, 20));
      const readSeconds = (Date.now() - started) / 1000;
      await projection.onApplicationShutdown();
      await read.destroy();
      rows.push(`| ${label} | ${Math.round(events / readSeconds).toLocaleString('en')} | ${Math.round(events / auditSeconds).toLocaleString('en')} |`);
    }
    const load = (require('node:os').loadavg() as number[]).map((l) => l.toFixed(1)).join(' ');
    process.stdout.write(`\n${events} events of ${requests} requests, load average ${load}\n| written | request read model (events/s) | audit projection (events/s) |\n|---|---|---|\n${rows.join('\n')}\n`);
  } finally {
    await client.dispose();
    await es.close();
    await db.drop();
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`projection-runs failed: ${error.stack}\n`);
    process.exit(1);
  },
);
