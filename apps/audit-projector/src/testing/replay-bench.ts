/**
 * Measures `replay` on a realistic volume: appends contract-shaped request streams (plus a few unknown
 * and malformed events) to a throwaway event store, lets the live projection catch up (so the replay
 * has something to compare with), then replays and prints the report.
 *
 *   node tools/run-ts.js apps/audit-projector/src/testing/replay-bench.ts [events=20000]
 *
 * The event store runs in a child process, as it does in production, so it does not share this
 * process's event loop. Not a test: nothing here asserts a time.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { eventMetadataFor } from '@kairos/contracts';
import { openServiceDataSource } from '@kairos/persistence';
import { freePort, startEmbeddedPostgres } from '@kairos/testing';
import { migrations } from '../migrations';
import { EventStoreEventLog } from '../adapters/eventstore/event-log';
import { LIVE_SUBSCRIPTION, ProjectionRunner } from '../adapters/eventstore/projection-runner';
import { AuditTables } from '../adapters/postgres/audit-schema';
import { PgReplayTarget } from '../adapters/postgres/replay-target';
import { formatReplayReport, replayAndCompare } from '../use-cases/replay/replay';
import { atHour as at, RequestScenario } from '@kairos/access-request-domain/testing';

const target = Number(process.argv[2] ?? 20_000);
/** `--no-live`: skip the live projection (the comparison then fails; only the replay's speed is of interest). */
const live = !process.argv.includes('--no-live');

function scenario(i: number): { stream: string; events: { type: string; data: unknown; metadata?: unknown }[] } {
  const who = { id: `u-${i % 97}`, kind: 'person' as const };
  const resource = `db-${i % 13}`;
  const s = RequestScenario.create(who, resource, i % 2 ? 'read' : 'write', i % 3 === 0 ? [`g-${i % 5}`, 'sre'] : undefined);
  const h = i / 10;
  switch (i % 4) {
    case 0:
      s.requested(h)
        .reviewed(h + 0.5, 'u-bob', 'approve')
        .granted(h + 1)
        .expired(h + 5);
      break;
    case 1:
      s.requested(h, { automatic: true, duration: 'PT8H' }).granted(h);
      break;
    case 2:
      s.requested(h)
        .reviewed(h + 0.5, 'u-bob', 'deny');
      break;
    default:
      s.requested(h)
        .reviewed(h + 0.5, 'u-bob', 'approve')
        .granted(h + 1);
  }
  const events: { type: string; data: unknown; metadata?: unknown }[] = s.events.map((e) => ({
    type: e.type,
    data: e.data,
    metadata: eventMetadataFor(e.type),
  }));
  if (i % 50 === 7) events.push({ type: 'SomethingNobodyDeclared', data: { requestId: s.requestId } });
  if (i % 50 === 9) events.push({ type: 'AccessGranted', data: { requestId: s.requestId, grantedAt: 'yesterday' } });
  // A valid event whose keys match nothing: an update of no row.
  if (i % 50 === 11)
    events.push({
      type: 'AccessExpired',
      data: { requestId: s.requestId, itemId: 'item-9', grantId: 'grant-none', expiresAt: at(h), expiredAt: at(h) },
      metadata: eventMetadataFor('AccessExpired'),
    });
  return { stream: s.stream, events };
}

async function main(): Promise<void> {
  const dataDir = `/tmp/kairos-replay-bench-${process.pid}`;
  const pg = await startEmbeddedPostgres({ dataDir });
  const esPort = await freePort();
  const es = spawn(process.execPath, ['tools/run-ts.js', 'infra/eventstore-server/src/main.ts', '--memory', '--port', String(esPort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const connection = await new Promise<string>((resolve, reject) => {
    es.once('exit', (code) => reject(new Error(`event store exited ${code}`)));
    es.stdout!.on('data', (chunk: Buffer) => {
      const m = /eventstore ready (\S+)/.exec(chunk.toString());
      if (m) resolve(m[1]!);
    });
  });
  const client = EventStoreDBClient.connectionString(connection);
  const db = await openServiceDataSource({ url: pg.url, schema: 'audit', migrations, poolSize: 4 });
  const tables = new AuditTables('audit');
  try {
    let appended = 0;
    let next = 0;
    const t0 = Date.now();
    const writer = async () => {
      while (appended < target) {
        const { stream, events } = scenario(next++);
        appended += events.length;
        await client.appendToStream(
          stream,
          events.map((e) => jsonEvent({ type: e.type, data: e.data as never, metadata: e.metadata as never })),
        );
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    process.stdout.write(`appended ${appended} events in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const t1 = Date.now();
    if (live) {
      const runner = new ProjectionRunner({ client, dataSource: db, tables, subscriptionId: LIVE_SUBSCRIPTION });
      runner.start();
      while (runner.handled < appended) await new Promise((r) => setTimeout(r, 200));
      await runner.stop();
      process.stdout.write(`live projection: ${runner.handled} events in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
    }

    const cpu = process.cpuUsage();
    // utime + stime of the event store process, in ms (Linux, 100 ticks per second).
    const esCpu = () => {
      const fields = readFileSync(`/proc/${es.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    };
    const es0 = esCpu();
    const report = await replayAndCompare({ log: new EventStoreEventLog(client), target: new PgReplayTarget(db, tables) });
    const used = process.cpuUsage(cpu);
    process.stdout.write(`replay cpu: this process ${((used.user + used.system) / 1000).toFixed(0)} ms, event store ${esCpu() - es0} ms\n`);
    process.stdout.write(`${formatReplayReport(report)}\n`);
    process.exitCode = report.equal ? 0 : 1;
  } finally {
    await client.dispose();
    await db.destroy();
    es.kill('SIGTERM');
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
