/**
 * Measures `replay` on a realistic volume: appends contract-shaped request streams (plus a few unknown
 * and malformed events) to a throwaway event store, lets the live projection catch up (so the replay
 * has something to compare with), then replays and prints the report.
 *
 *   node tools/run-ts.js apps/audit-projector/src/testing/replay-bench.ts [events=20000] [--no-live] [--profile <dir>]
 *
 * Prints the CPU the replay used in each process (this one, the event store, PostgreSQL with its
 * backends): per event it hardly moves with other load, unlike events per second. `--profile <dir>`
 * writes a `.cpuprofile` of this process during the replay only (summarise it with
 * tools/bench/profile-summary.ts).
 *
 * The event store runs in a child process, as it does in production, so it does not share this
 * process's event loop. Not a test: nothing here asserts a time.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
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
const profileDir = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : undefined;

/** The fields of /proc/<pid>/stat after the command, from field 3 on (undefined once the process is gone). */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of a process in ms (ticks of 10 ms); with `reaped`, also its exited children's. */
function cpuMsOf(pid: number, reaped = false): number {
  const f = statFields(pid);
  if (!f) return 0;
  return (Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0)) * 10;
}

/** PostgreSQL's CPU so far: the postmaster, its live backends and those that ended. */
function postgresCpuMs(postmaster: number): number {
  let total = cpuMsOf(postmaster, true);
  for (const entry of readdirSync('/proc')) if (/^\d+$/.test(entry) && Number(statFields(entry)?.[1]) === postmaster) total += cpuMsOf(Number(entry));
  return total;
}

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

    const postmaster = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    const session = profileDir ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const cpu = process.cpuUsage();
    const es0 = cpuMsOf(es.pid!);
    const pg0 = postgresCpuMs(postmaster);
    // The CPU is read when the replay has written its last batch, before the comparison.
    let used: { self: number; es: number; pg: number } | undefined;
    const elapsedFrom = process.hrtime.bigint();
    const report = await replayAndCompare({
      log: new EventStoreEventLog(client),
      target: new PgReplayTarget(db, tables),
      elapsedSeconds: () => {
        const u = process.cpuUsage(cpu);
        used = { self: (u.user + u.system) / 1000, es: cpuMsOf(es.pid!) - es0, pg: postgresCpuMs(postmaster) - pg0 };
        return Number(process.hrtime.bigint() - elapsedFrom) / 1e9;
      },
    });
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(profileDir!, { recursive: true });
      writeFileSync(`${profileDir}/replay-${process.pid}.cpuprofile`, JSON.stringify(profile));
      session.disconnect();
    }
    const perEvent = (ms: number) => ((ms * 1000) / report.events).toFixed(0);
    process.stdout.write(
      `replay cpu: this process ${used!.self.toFixed(0)} ms (${perEvent(used!.self)} µs/event), event store ${used!.es} ms (${perEvent(used!.es)} µs/event), postgres ${used!.pg} ms (${perEvent(used!.pg)} µs/event); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
    );
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
