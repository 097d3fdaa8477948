import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { EventStoreDBClient, jsonEvent, streamNameFilter } from '@eventstore/db-client';
import { EventStore } from '../src/storage/event-store';

const ROOT = join(__dirname, '..', '..', '..');
const WRITERS = 10;
const DURATION_MS = 5_000;

interface Child {
  readonly process: ChildProcess;
  readonly connectionString: string;
}

function startServer(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, ['tools/run-ts.js', 'infra/eventstore-server/src/main.ts', '--port', '0', '--data', dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /eventstore ready (\S+)/.exec(out);
      if (ready) resolve({ process: child, connectionString: ready[1] });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function appendRate(client: EventStoreDBClient, eventsPerAppend: number): Promise<number> {
  let written = 0;
  const stopAt = Date.now() + DURATION_MS;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      const stream = `bench${eventsPerAppend}-${w}`;
      while (Date.now() < stopAt) {
        const batch = Array.from({ length: eventsPerAppend }, (_, i) =>
          jsonEvent({ type: 'BenchEvent', data: { writer: w, i, payload: 'x'.repeat(200) } }),
        );
        await client.appendToStream(stream, batch);
        written += eventsPerAppend;
      }
    }),
  );
  return written / ((Date.now() - started) / 1000);
}

async function readAllRate(client: EventStoreDBClient): Promise<{ rate: number; count: number }> {
  const started = Date.now();
  let count = 0;
  for await (const _ of client.readAll({ maxCount: 1_000_000 })) count++;
  return { rate: count / ((Date.now() - started) / 1000), count };
}

async function subscriptionLatency(client: EventStoreDBClient, samples: number): Promise<{ p50: number; p99: number }> {
  const category = `latency${Date.now()}`;
  const subscription = client.subscribeToAll({ fromPosition: 'end', filter: streamNameFilter({ prefixes: [`${category}-`] }) });
  const latencies: number[] = [];
  let resolveNext: (() => void) | null = null;
  const caughtUp = new Promise<void>((resolve) => subscription.on('caughtUp', () => resolve()));
  subscription.on('data', (event: { event?: { data: unknown } }) => {
    const sentAt = (event.event?.data as { sentAt: number }).sentAt;
    latencies.push(performance.now() - sentAt);
    resolveNext?.();
  });
  await caughtUp;
  for (let i = 0; i < samples; i++) {
    const delivered = new Promise<void>((resolve) => (resolveNext = resolve));
    await client.appendToStream(`${category}-1`, jsonEvent({ type: 'Ping', data: { sentAt: performance.now() } }));
    await delivered;
  }
  await subscription.unsubscribe();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

export async function benchEventStore(): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-esdb-bench-'));
  const server = await startServer(dataDir);
  const client = EventStoreDBClient.connectionString(server.connectionString);
  try {
    const single = await appendRate(client, 1);
    const tens = await appendRate(client, 10);
    const read = await readAllRate(client);
    const latency = await subscriptionLatency(client, 500);
    return {
      'append 1-event, 10 writers (events/s)': Math.round(single),
      'append 10-event, 10 writers (events/s)': Math.round(tens),
      '$all read (events/s)': Math.round(read.rate),
      '$all events read': read.count,
      'subscription latency p50 (ms)': Number(latency.p50.toFixed(2)),
      'subscription latency p99 (ms)': Number(latency.p99.toFixed(2)),
      'server RSS (MB)': Math.round(rssMb(server.process.pid!)),
      ...(await benchLogSizes()),
    };
  } finally {
    await client.dispose();
    server.process.kill('SIGTERM');
    await new Promise((resolve) => server.process.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Builds a log of `count` events (streams of 10 events of ~1 KB, as a small installation writes
 * them) in-process through the store itself, many appends in flight so they share fsyncs.
 */
async function buildLog(dataDir: string, count: number): Promise<void> {
  const { store } = EventStore.open({ dataDir });
  await store.seedIfEmpty();
  const data = Buffer.from(JSON.stringify({ payload: 'x'.repeat(1000) }), 'utf8');
  const perStream = 10;
  let written = 0;
  while (written < count) {
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < 200 && written < count; i++, written += perStream) {
      const batch = Array.from({ length: Math.min(perStream, count - written) }, () => ({
        id: randomUUID(),
        type: 'BenchEvent',
        isJson: true,
        data,
        metadata: Buffer.alloc(0),
      }));
      appends.push(store.append(`request-${written / perStream}`, { kind: 'no_stream' }, batch));
    }
    await Promise.all(appends);
  }
  await store.close();
}

function logBytes(dir: string): number {
  return readdirSync(dir)
    .filter((name) => /^events(-\d{20})?\.log$/.test(name))
    .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/**
 * RSS and start time against log size: for each size, start the server on the log, read a few
 * streams (so the read path is warm), kill -9 it, and time the restart. BENCH_ESDB_EVENTS sets the
 * sizes (comma separated; default 50000,200000; the figure is 5000000).
 */
export async function benchLogSizes(sizes = (process.env.BENCH_ESDB_EVENTS ?? '50000,200000').split(',').map(Number)): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const size of sizes) {
    const dataDir = mkdtempSync(join(tmpdir(), 'kairos-esdb-size-'));
    try {
      const built = Date.now();
      await buildLog(dataDir, size);
      const buildSeconds = (Date.now() - built) / 1000;
      let started = Date.now();
      let server = await startServer(dataDir);
      const firstStartMs = Date.now() - started;
      let client = EventStoreDBClient.connectionString(server.connectionString);
      for (let i = 0; i < 200; i++) await collectCount(client, `request-${Math.floor((i * 7919) % (size / 10))}`);
      const rssWarm = rssMb(server.process.pid!);
      await client.dispose();
      server.process.kill('SIGKILL');
      await new Promise((resolve) => server.process.once('exit', resolve));
      started = Date.now();
      server = await startServer(dataDir);
      const restartMs = Date.now() - started;
      const rssAfterRestart = rssMb(server.process.pid!);
      client = EventStoreDBClient.connectionString(server.connectionString);
      await collectCount(client, 'request-0');
      await client.dispose();
      server.process.kill('SIGTERM');
      await new Promise((resolve) => server.process.once('exit', resolve));
      const label = `${size} events (${Math.round(logBytes(dataDir) / 1024 / 1024)} MiB log)`;
      results[`${label}: build in-process (s)`] = Number(buildSeconds.toFixed(1));
      results[`${label}: start (ms)`] = firstStartMs;
      results[`${label}: restart after kill -9 (ms)`] = restartMs;
      results[`${label}: RSS after 200 stream reads (MB)`] = Math.round(rssWarm);
      results[`${label}: RSS after restart (MB)`] = Math.round(rssAfterRestart);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return results;
}

async function collectCount(client: EventStoreDBClient, stream: string): Promise<number> {
  let n = 0;
  for await (const _ of client.readStream(stream)) n++;
  return n;
}

if (process.argv[1]?.endsWith(join('bench', 'bench.ts'))) {
  benchEventStore().then(
    (results) => {
      const width = Math.max(...Object.keys(results).map((k) => k.length));
      for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(width)}  ${value}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
