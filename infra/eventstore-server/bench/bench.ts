import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { binaryEvent, EventStoreDBClient, jsonEvent, streamNameFilter } from '@eventstore/db-client';

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

/**
 * The server's figures on a fresh log, then RSS and restart time against log size (`benchLogSizes`).
 * `--esdb-sizes-only` runs the second part alone.
 */
export async function benchEventStore(argv: readonly string[] = process.argv): Promise<Record<string, number>> {
  const fresh = argv.includes('--esdb-sizes-only') ? {} : await benchFreshLog();
  return { ...fresh, ...(await benchLogSizes(logSizesFrom(argv))) };
}

async function benchFreshLog(): Promise<Record<string, number>> {
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
    };
  } finally {
    await client.dispose();
    server.process.kill('SIGTERM');
    await new Promise((resolve) => server.process.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const MIB = 1024 * 1024;
const EVENTS_PER_STREAM = 10;
/** Appends in flight while a log is built: they share the server's group commits. */
const BUILD_IN_FLIGHT = 128;
const RATE_MS = 5_000;

/**
 * The log sizes to measure, smallest first: `--esdb-events=N,N` or `BENCH_ESDB_EVENTS=N,N`;
 * `--esdb-large` adds 1 million and 5 million (the figure; about an hour on a loaded 2-core
 * machine). The default, 100,000, keeps `npm run bench` short.
 */
export function logSizesFrom(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): number[] {
  const flag = argv.find((a) => a.startsWith('--esdb-events='));
  const text = flag ? flag.slice('--esdb-events='.length) : (env.BENCH_ESDB_EVENTS ?? '100000');
  const sizes = text.split(',').map((n) => Number(n.trim().replace(/_/g, '')));
  if (argv.includes('--esdb-large')) sizes.push(100_000, 1_000_000, 5_000_000);
  if (sizes.some((n) => !Number.isSafeInteger(n) || n <= 0)) throw new Error(`log sizes must be positive integers: ${text}`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** One request's worth of events, as Kairos writes them: 10 JSON events of ~1 KB. */
function requestEvents(): ReturnType<typeof jsonEvent>[] {
  return Array.from({ length: EVENTS_PER_STREAM }, (_, i) => jsonEvent({ type: 'BenchRequestEvent', data: { step: i, payload: PAYLOAD } }));
}
const PAYLOAD = 'x'.repeat(1000);

/**
 * The same 10 events of ~1 KB of JSON for building a log, encoded once and sent as bytes: the
 * client's JSON path encodes every event to base64 and google-protobuf decodes it again in
 * JavaScript (twice, it measures each message), which made the bench process, not the server,
 * the bottleneck. What the server stores and indexes is the same size either way.
 */
function buildEvents(): ReturnType<typeof binaryEvent>[] {
  return Array.from({ length: EVENTS_PER_STREAM }, (_, i) => binaryEvent({ type: 'BenchRequestEvent', data: BUILD_PAYLOADS[i] }));
}
const BUILD_PAYLOADS = Array.from({ length: EVENTS_PER_STREAM }, (_, i) => Buffer.from(JSON.stringify({ step: i, payload: PAYLOAD }), 'utf8'));

/**
 * Writes `streams` new request streams of 10 events through the client, `BUILD_IN_FLIGHT` appends at
 * a time. An append that fails (a loaded machine can starve the connection's keepalive) is sent
 * again with the same event ids, which the server answers idempotently. Returns the retries.
 */
async function writeStreams(client: EventStoreDBClient, firstStream: number, streams: number): Promise<number> {
  let next = firstStream;
  let retries = 0;
  const end = firstStream + streams;
  await Promise.all(
    Array.from({ length: BUILD_IN_FLIGHT }, async () => {
      while (next < end) {
        const n = next++;
        const batch = buildEvents();
        for (let attempt = 1; ; attempt++) {
          try {
            await client.appendToStream(`request-${n}`, batch, { expectedRevision: 'no_stream' });
            break;
          } catch (error) {
            if (attempt >= 5) throw error;
            retries++;
            await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
          }
        }
      }
    }),
  );
  return retries;
}

/** New request streams appended for RATE_MS by 20 concurrent writers (what a busy Kairos does). */
async function appendRateAt(client: EventStoreDBClient, firstStream: number): Promise<{ rate: number; streams: number }> {
  let next = firstStream;
  const started = Date.now();
  const stopAt = started + RATE_MS;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (Date.now() < stopAt) {
        const n = next++;
        await client.appendToStream(`request-${n}`, requestEvents(), { expectedRevision: 'no_stream' });
      }
    }),
  );
  const streams = next - firstStream;
  return { rate: (streams * EVENTS_PER_STREAM) / ((Date.now() - started) / 1000), streams };
}

/** Whole request streams read at random over the log for RATE_MS by 10 concurrent readers. */
async function readRateAt(client: EventStoreDBClient, streams: number): Promise<number> {
  let events = 0;
  let seed = 12345;
  const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const started = Date.now();
  const stopAt = started + RATE_MS;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (Date.now() < stopAt) {
        const n = await collectCount(client, `request-${Math.floor(random() * streams)}`);
        if (n !== EVENTS_PER_STREAM) throw new Error(`a request stream read back ${n} events, not ${EVENTS_PER_STREAM}`);
        events += n;
      }
    }),
  );
  return events / ((Date.now() - started) / 1000);
}

/** Starts the server and times it until it answers a read of the oldest and the newest stream. */
async function startAndRead(dataDir: string, lastStream: number): Promise<{ server: Child; client: EventStoreDBClient; readyMs: number; readMs: number }> {
  const started = performance.now();
  const server = await startServer(dataDir);
  const readyMs = performance.now() - started;
  const client = EventStoreDBClient.connectionString(server.connectionString);
  for (const stream of ['request-0', `request-${lastStream}`]) {
    const n = await collectCount(client, stream);
    if (n !== EVENTS_PER_STREAM) throw new Error(`${stream} read back ${n} events after the restart, not ${EVENTS_PER_STREAM}`);
  }
  return { server, client, readyMs, readMs: performance.now() - started };
}

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function loadAverage(): number {
  return Number(loadavg()[0].toFixed(2));
}

/**
 * RSS and restart time against log size. One log grows through the sizes asked for, written
 * through the real server (its own process) with the official client: request streams of 10 JSON
 * events of ~1 KB, 128 appends in flight. At each size: log size on disk, server RSS after the
 * writing, append rate (new streams) and read rate (random whole streams) at that size, then kill -9,
 * restart, time until it answers a read, and RSS after the restart. The 1-minute load average is
 * noted with each group of figures (the machine is shared). Sizes: see `logSizesFrom`.
 */
export async function benchLogSizes(sizes = logSizesFrom()): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-esdb-size-'));
  let server = await startServer(dataDir);
  let client = EventStoreDBClient.connectionString(server.connectionString);
  // Streams request-0 .. request-(streams-1) exist, each with 10 events.
  let streams = 0;
  try {
    for (const size of sizes) {
      const target = Math.ceil(size / EVENTS_PER_STREAM);
      const writeStarted = performance.now();
      const serverCpu = cpuSeconds(server.process.pid!);
      const benchCpu = process.cpuUsage();
      const retries = target > streams ? await writeStreams(client, streams, target - streams) : 0;
      const writeSeconds = (performance.now() - writeStarted) / 1000;
      const written = Math.max(target, streams) - streams;
      const perThousand = (seconds: number): number => Number(((seconds * 1000 * 1000) / Math.max(1, written * EVENTS_PER_STREAM)).toFixed(1));
      const benchUsed = process.cpuUsage(benchCpu);
      const serverMs = perThousand(cpuSeconds(server.process.pid!) - serverCpu);
      const clientMs = perThousand((benchUsed.user + benchUsed.system) / 1e6);
      streams = Math.max(target, streams);
      const label = `${size.toLocaleString('en-US')} events`;
      results[`${label}: events written (total)`] = streams * EVENTS_PER_STREAM;
      results[`${label}: write rate while building (events/s)`] = Math.round((written * EVENTS_PER_STREAM) / Math.max(writeSeconds, 0.001));
      results[`${label}: appends retried while building`] = retries;
      results[`${label}: server CPU while building (ms per 1,000 events)`] = serverMs;
      results[`${label}: bench (client) CPU while building (ms per 1,000 events)`] = clientMs;
      results[`${label}: log size on disk (MiB)`] = Math.round(logBytes(dataDir) / MIB);
      results[`${label}: index files on disk (MiB)`] = Number((indexBytes(dataDir) / MIB).toFixed(1));
      results[`${label}: server RSS after writing (MB)`] = Math.round(rssMb(server.process.pid!));
      results[`${label}: load average after writing`] = loadAverage();

      const append = await appendRateAt(client, streams);
      streams += append.streams;
      results[`${label}: append rate, new 10-event streams, 20 writers (events/s)`] = Math.round(append.rate);
      results[`${label}: load average during append rate`] = loadAverage();
      results[`${label}: read rate, random whole streams, 10 readers (events/s)`] = Math.round(await readRateAt(client, streams));
      results[`${label}: load average during read rate`] = loadAverage();

      await client.dispose();
      server.process.kill('SIGKILL');
      await new Promise((resolve) => server.process.once('exit', resolve));
      const restarted = await startAndRead(dataDir, streams - 1);
      server = restarted.server;
      client = restarted.client;
      results[`${label}: restart after kill -9, until ready line (ms)`] = Math.round(restarted.readyMs);
      results[`${label}: restart after kill -9, until it answers a read (ms)`] = Math.round(restarted.readMs);
      results[`${label}: server RSS after restart and 2 reads (MB)`] = Math.round(rssMb(server.process.pid!));
      results[`${label}: load average at restart`] = loadAverage();
      // Printed as soon as measured: the largest size takes long, and a failure must not lose the others.
      for (const [name, value] of Object.entries(results)) if (name.startsWith(`${label}:`)) process.stdout.write(`  ${name}  ${value}\n`);
    }
  } finally {
    await client.dispose();
    server.process.kill('SIGTERM');
    await new Promise((resolve) => server.process.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

function logBytes(dir: string): number {
  return readdirSync(dir)
    .filter((name) => /^events(-\d{20})?\.log$/.test(name))
    .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

function indexBytes(dir: string): number {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.idx'))
    .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
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
