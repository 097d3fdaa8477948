import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { startHarness, type Harness } from '../e2e/platform-harness';
import { cloneActiveGrants } from './clone-grants';
// The bench's own Kafka client without kafkajs's idle loop, as the services run (libs/messaging/src/kafkajs-idle-loop.ts).
import '@kairos/messaging';

/**
 * The whole platform on this one machine, measured from the outside: requests go in through the
 * public API, results are watched on the public topic `access-request.events`.
 */
interface Watch {
  granted: Map<string, number>;
  revokedLateness: Map<string, number>;
}

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
};

async function watchEvents(h: Harness): Promise<{ watch: Watch; stop: () => Promise<void> }> {
  const watch: Watch = { granted: new Map(), revokedLateness: new Map() };
  const expiresAt = new Map<string, number>();
  const kafka = new Kafka({ clientId: 'bench', brokers: [h.urls.kafka!], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'access-request.events', fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const type = message.headers?.ce_type?.toString();
      if (type !== 'AccessGranted' && type !== 'AccessRevoked') return;
      const data = JSON.parse(message.value!.toString()) as { requestId: string; expiresAt?: string; revokedAt?: string };
      if (type === 'AccessGranted') {
        watch.granted.set(data.requestId, Date.now());
        expiresAt.set(data.requestId, Date.parse(data.expiresAt!));
      } else if (expiresAt.has(data.requestId)) {
        // From the moment access should have ended to the moment its removal was verified in the target.
        watch.revokedLateness.set(data.requestId, Date.parse(data.revokedAt!) - expiresAt.get(data.requestId)!);
      }
    },
  });
  await new Promise((r) => setTimeout(r, 3_000));
  return { watch, stop: () => consumer.disconnect() };
}

/** Many requesters, as in real use: grants to one identity on one target are applied one at a time. */
async function benchRequesters(h: Harness, count: number): Promise<string[]> {
  const admin = await h.token('admin', ['admin']);
  const tokens: string[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `bench-${i}`;
    const res = await h.call('approval-policy-service', admin, 'POST', '/v1/identities', { id, kind: 'person', displayName: `Bench ${i}`, managerId: 'maria', groups: ['engineering'] });
    if (res.status !== 201 && res.status !== 409) throw new Error(`creating ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    tokens.push(await h.token(id, ['requester']));
  }
  return tokens;
}

let turn = 0;
const next = (tokens: string[]) => tokens[turn++ % tokens.length]!;

async function submit(h: Harness, token: string, duration: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    // A timed-out call (a busy machine) is tried again: at worst one extra request is carried, untimed.
    const res = await h
      .call('request-service', token, 'POST', '/v1/access-requests', { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'benchmark', duration })
      .catch((error: Error) => ({ status: 0, body: { error: error.message } as Record<string, unknown> }));
    if (res.status === 201) return res.body.requestId as string;
    if (attempt > 5) throw new Error(`submit failed: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
  }
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024);
  } catch {
    return NaN;
  }
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat (ticks of 10 ms);
 * with `reaped`, also what its children that have exited used (cutime, cstime: PostgreSQL's
 * backends that ended), so the total never goes down when one exits.
 */
function cpuMsOf(pid: number, reaped = false): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  const own = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  const children = reaped ? Number(fields[13]) + Number(fields[14]) : 0; // cutime, cstime (16 and 17)
  return (own + children) * 10;
}

/** The fields of /proc/<pid>/stat after the command (which may hold spaces and parentheses), from field 3 on. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Every live child of a process (PostgreSQL's backends, one per connection, are the postmaster's). */
function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(statFields(entry)?.[1]) === parent)
    .map(Number);
}

/**
 * CPU used so far by each process of the platform (PostgreSQL with its backends; the bench's own
 * client as `bench client`). Differences over a phase divided by the requests carried are the CPU
 * cost of one request per process: unlike wall-clock figures it hardly moves with other load.
 */
function cpuSnapshot(h: Harness): Map<string, number> {
  const snapshot = new Map<string, number>();
  for (const [name, pid] of Object.entries(h.pids())) {
    if (!pid) continue;
    let total = cpuMsOf(pid, name === 'postgres');
    if (name === 'postgres') for (const child of childrenOf(pid)) total += cpuMsOf(child);
    snapshot.set(name, total);
  }
  const self = process.cpuUsage();
  snapshot.set('bench client', (self.user + self.system) / 1000);
  return snapshot;
}

/** CPU (ms) each process of the platform used between two snapshots (the bench's own client left out), and their total. */
function platformCpuUsed(before: Map<string, number>, after: Map<string, number>): { byProcess: Map<string, number>; total: number } {
  const byProcess = new Map<string, number>();
  for (const [name, end] of after) if (name !== 'bench client') byProcess.set(name, Math.max(0, end - (before.get(name) ?? 0)));
  return { byProcess, total: sum(byProcess.values()) };
}

function cpuPerRequest(results: Record<string, number>, before: Map<string, number>, after: Map<string, number>, requests: number): void {
  const { byProcess, total: used } = platformCpuUsed(before, after);
  for (const [name, ms] of byProcess) results[`CPU per request, ${name} (ms)`] = Math.round((ms / requests) * 10) / 10;
  const total = used / requests;
  results['CPU per request, whole platform (ms)'] = Math.round(total * 10) / 10;
  // Two cores: the most requests per second this CPU cost allows, with nothing else running.
  results['requests per second two cores allow at that cost'] = Math.round(2000 / total);
  const client = after.get('bench client')! - (before.get('bench client') ?? 0);
  results['CPU per request, bench client (ms)'] = Math.round((client / requests) * 10) / 10;
}

/**
 * Waits until every consumer group has consumed everything on its topics (lag 0 twice in a row, a
 * second apart): the platform has digested what came before, so what is measured next is not queued
 * behind a backlog. Returns how long that took.
 */
async function drained(h: Harness, timeoutMs = 15 * 60_000): Promise<number> {
  const started = Date.now();
  const kafka = new Kafka({ clientId: 'bench-lag', brokers: [h.urls.kafka!], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    let quietChecks = 0;
    while (quietChecks < 2) {
      if (Date.now() - started > timeoutMs) throw new Error(`the platform still had a backlog after ${timeoutMs} ms`);
      let lag = 0;
      const { groups } = await admin.listGroups();
      for (const { groupId } of groups.filter((g) => !g.groupId.startsWith('bench'))) {
        for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
          const ends = await admin.fetchTopicOffsets(topic);
          for (const p of partitions) {
            const high = Number(ends.find((e) => e.partition === p.partition)?.high ?? 0);
            lag += Math.max(0, high - Math.max(0, Number(p.offset)));
          }
        }
      }
      quietChecks = lag === 0 ? quietChecks + 1 : 0;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    return Date.now() - started;
  } finally {
    await admin.disconnect();
  }
}

async function auditReplay(h: Harness): Promise<{ eventsPerSecond: number; events: number }> {
  const env = { ...process.env, DATABASE_URL: h.urls.postgres!, EVENTSTORE_URL: h.urls.eventstore!, AUTH_ISSUER: 'unused', AUTH_JWKS_URL: 'http://127.0.0.1/unused', LOG_LEVEL: 'error' };
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'run-ts.js'), 'apps/audit-projector/src/cli.ts', 'replay'], { env });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    child.once('exit', () => resolve(text));
    child.once('error', reject);
  });
  const match = /replayed\s+(\d+)\s+events.*?\(([\d,.]+)\s*events\/s\)/i.exec(output);
  if (!match) throw new Error(`could not read the replay rate from:\n${output}`);
  return { events: Number(match[1]), eventsPerSecond: Number(match[2]!.replace(/,/g, '')) };
}

/** Transactions committed so far in each database of the platform's PostgreSQL: a cost that does not depend on the load. */
/** One query on the platform's database, over a connection of its own. */
async function queryPlatformDb<T extends object>(h: Harness, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: h.urls.postgres! });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Transactions committed so far in each database of the platform's PostgreSQL: a cost that does not depend on the load. */
async function postgresCommitsByDatabase(h: Harness): Promise<Map<string, number>> {
  const rows = await queryPlatformDb<{ datname: string; commits: string }>(h, "SELECT datname, xact_commit::text AS commits FROM pg_stat_database WHERE datname IS NOT NULL AND datname NOT IN ('template0', 'template1')");
  return new Map(rows.map((r) => [r.datname, Number(r.commits)]));
}

async function pendingAccessExpiries(h: Harness): Promise<number> {
  const rows = await queryPlatformDb<{ n: number }>(h, "SELECT count(*)::int AS n FROM expiry_scheduler.timers WHERE kind = 'access_expiry' AND status = 'pending'");
  return rows[0]!.n;
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

async function postgresCommits(h: Harness): Promise<number> {
  return sum((await postgresCommitsByDatabase(h)).values());
}

/** One line of the issue's table: what is measured, the target, and whether a value meets it. */
export interface Target {
  readonly target: string;
  readonly met: (value: number) => boolean;
}

const atMost = (limit: number, unit: string): Target => ({ target: `<= ${limit.toLocaleString('en')} ${unit}`, met: (v) => Number.isFinite(v) && v <= limit });
const atLeast = (limit: number, unit: string): Target => ({ target: `>= ${limit.toLocaleString('en')} ${unit}`, met: (v) => Number.isFinite(v) && v >= limit });

/** Issue 17's targets, by the figure names `benchPlatform` reports (RSS and lateness lines match by prefix). */
export function platformTarget(figure: string): Target | undefined {
  if (figure === 'requests carried to active per second') return atLeast(500, 'req/s');
  if (figure === 'request to active p50 at 50 req/s (ms)') return atMost(50, 'ms');
  if (figure === 'request to active p99 at 50 req/s (ms)') return atMost(250, 'ms');
  if (figure === 'single request at rest p99 (ms)') return atMost(100, 'ms');
  if (/^revocation lateness p99 at \d+ active grants \(ms\)$/.test(figure)) return atMost(1_000, 'ms');
  if (figure === 'audit replay (events/s)') return atLeast(50_000, 'events/s');
  if (/^RSS (request-service|approval-policy-service|provisioning-connector|expiry-scheduler|audit-projector|notifier) \(MB\)$/.test(figure)) return atMost(150, 'MB');
  if (figure === 'start to banner (s)') return atMost(10, 's');
  return undefined;
}

export interface PlatformBenchOptions {
  /** Throughput phase: automatically approved requests, 25 in flight (BENCH_REQUESTS, default 500). */
  readonly requests?: number;
  /** Latency phase at 50 req/s (BENCH_LATENCY_REQUESTS, default 500). */
  readonly latencyRequests?: number;
  /** Requests one at a time, the platform otherwise at rest (BENCH_SINGLE_REQUESTS, default 50). */
  readonly singleRequests?: number;
  /** Active-grant sizes at which revocation lateness is measured (BENCH_ACTIVE_GRANTS, comma separated, default 10000). */
  readonly activeGrants?: readonly number[];
  /**
   * Grants beyond this many are not made through the API but copied from the ones that were
   * (BENCH_CLONE_ABOVE; default none: every grant through the API). See clone-grants.ts.
   */
  readonly cloneAbove?: number;
  /** Short grants measured for lateness at each size (BENCH_SHORT_GRANTS, default 200). */
  readonly shortGrants?: number;
  /** Extra environment for the launcher (and so for every service). */
  readonly env?: NodeJS.ProcessEnv;
}

const numberFromEnv = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

export function platformOptionsFromEnv(): PlatformBenchOptions {
  if (process.env.BENCH_SMOKE === 'true') return { requests: 20, latencyRequests: 20, singleRequests: 5, activeGrants: [100, 300], cloneAbove: 100, shortGrants: 5 };
  return {
    requests: numberFromEnv('BENCH_REQUESTS', 500),
    latencyRequests: numberFromEnv('BENCH_LATENCY_REQUESTS', 500),
    singleRequests: numberFromEnv('BENCH_SINGLE_REQUESTS', 50),
    activeGrants: (process.env.BENCH_ACTIVE_GRANTS ?? '10000').split(',').map(Number).filter((n) => n > 0),
    cloneAbove: process.env.BENCH_CLONE_ABOVE ? Number(process.env.BENCH_CLONE_ABOVE) : undefined,
    shortGrants: numberFromEnv('BENCH_SHORT_GRANTS', 200),
  };
}

const loadAverage = () => Math.round(require('node:os').loadavg()[0] * 10) / 10;

export async function benchPlatform(options: PlatformBenchOptions = platformOptionsFromEnv()): Promise<Record<string, number>> {
  const requests = options.requests ?? 500;
  const latencyRequests = options.latencyRequests ?? 500;
  const singleRequests = options.singleRequests ?? 50;
  const sizes = [...(options.activeGrants ?? [10_000])].sort((a, b) => a - b);
  const shortGrants = options.shortGrants ?? 200;
  const cloneAbove = options.cloneAbove ?? Infinity;
  const results: Record<string, number> = {};
  results['load average at start'] = loadAverage();
  const launched = Date.now();
  const h = await startHarness({ LOG_LEVEL: 'warn', ...options.env });
  results['start to banner (s)'] = Math.round((Date.now() - launched) / 100) / 10;
  const { watch, stop } = await watchEvents(h);
  try {
    const tokens = await benchRequesters(h, 50);

    // A single request at a time, nothing else going on: what one person waits for.
    const single: number[] = [];
    for (let i = 0; i < singleRequests; i++) {
      const sentAt = Date.now();
      const id = await submit(h, next(tokens), 'PT2H');
      await until('granted', () => watch.granted.has(id), 60_000);
      single.push(watch.granted.get(id)! - sentAt);
      await new Promise((r) => setTimeout(r, 100));
    }
    results['single request at rest p50 (ms)'] = percentile(single, 0.5);
    results['single request at rest p99 (ms)'] = percentile(single, 0.99);

    // Throughput: as many automatically approved requests as the platform takes, 25 in flight.
    // What the platform burns doing nothing (polls, heartbeats, health checks), for reading the per-request figures.
    const idleBefore = cpuSnapshot(h);
    const idleCommitsBefore = await postgresCommits(h);
    await new Promise((r) => setTimeout(r, 10_000));
    const idleAfter = cpuSnapshot(h);
    results['CPU per second at rest, whole platform (ms)'] = Math.round(platformCpuUsed(idleBefore, idleAfter).total / 10);
    results['PostgreSQL commits per second at rest'] = Math.round(((await postgresCommits(h)) - idleCommitsBefore) / 10);

    const commitsBefore = await postgresCommitsByDatabase(h);
    const cpuBefore = cpuSnapshot(h);
    const started = Date.now();
    const ids: string[] = [];
    await pool(Array.from({ length: requests }), 25, async () => void ids.push(await submit(h, next(tokens), 'PT2H')));
    await until('all throughput requests active', () => ids.every((id) => watch.granted.has(id)), 600_000);
    const last = Math.max(...ids.map((id) => watch.granted.get(id)!));
    results['requests carried to active per second'] = Math.round((requests / (last - started)) * 1000);
    // Counted once every throughput request is active (the idle polling of the same seconds is in it too).
    const commitsAfter = await postgresCommitsByDatabase(h);
    results['PostgreSQL commits per request (throughput phase)'] = Math.round((sum(commitsAfter.values()) - sum(commitsBefore.values())) / requests);
    for (const [database, commits] of commitsAfter) {
      const perRequest = (commits - (commitsBefore.get(database) ?? 0)) / requests;
      if (perRequest >= 0.05) results[`PostgreSQL commits per request, database ${database}`] = Math.round(perRequest * 10) / 10;
    }
    cpuPerRequest(results, cpuBefore, cpuSnapshot(h), requests);
    results['load average after throughput'] = loadAverage();

    // Latency at a fixed 50 requests per second.
    const latencies: number[] = [];
    const sent: Promise<void>[] = [];
    const latencyStart = Date.now() + 1_000;
    for (let i = 0; i < latencyRequests; i++) {
      const at = latencyStart + i * 20;
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      const sentAt = Date.now();
      sent.push(submit(h, next(tokens), 'PT2H').then(async (id) => {
        await until('granted', () => watch.granted.has(id), 300_000);
        latencies.push(watch.granted.get(id)! - sentAt);
      }));
    }
    await Promise.all(sent);
    results['request to active p50 at 50 req/s (ms)'] = percentile(latencies, 0.5);
    results['request to active p99 at 50 req/s (ms)'] = percentile(latencies, 0.99);

    // Revocation lateness with many grants active (each size tops up the grants of the one before).
    let active = singleRequests + requests + latencyRequests;
    // Requests made through the API (the short grants of each size included): what the replay reads.
    let requestsMade = active;
    for (const size of sizes) {
      // Through the API up to cloneAbove; the rest copied in the stores from grants the API made.
      const wanted = Math.max(0, size - active - shortGrants);
      const background = Math.min(wanted, Math.max(0, cloneAbove - active - shortGrants));
      const backgroundStart = Date.now();
      const fillCpuBefore = cpuSnapshot(h);
      const backgroundIds: string[] = [];
      await pool(Array.from({ length: background }), 25, async () => void backgroundIds.push(await submit(h, next(tokens), 'PT2H')));
      // Lateness is measured with the grants really active, not queued behind them.
      await until('background grants active', () => backgroundIds.every((id) => watch.granted.has(id)), 6 * 60 * 60_000);
      if (background > 0) {
        const lastGranted = Math.max(...backgroundIds.map((id) => watch.granted.get(id)!));
        results[`requests carried to active per second up to ${size} active grants`] = Math.round((background / (lastGranted - backgroundStart)) * 1000);
        // Whether one request costs more as grants pile up (the idle cost of those seconds is in it).
        const used = platformCpuUsed(fillCpuBefore, cpuSnapshot(h)).total;
        results[`CPU per request, whole platform, filling up to ${size} active grants (ms)`] = Math.round((used / background) * 10) / 10;
      }
      active += background;
      requestsMade += background;
      if (wanted > background) {
        const copied = await cloneActiveGrants(h.urls.postgres!, wanted - background);
        results[`active grants copied in the stores at ${size} (not made through the API)`] = copied.cloned;
        active += copied.cloned;
      }
      // What the scheduler holds: one pending access-expiry timer per active grant, copies included.
      results[`pending access-expiry timers at ${size}`] = await pendingAccessExpiries(h);
      // Revocation lateness of the platform at rest with these grants, not of a queue still draining.
      results[`seconds to drain the backlog before measuring at ${size}`] = Math.round((await drained(h)) / 100) / 10;
      const short: string[] = [];
      const shortCpuBefore = cpuSnapshot(h);
      // One every 200 ms (5 a second, well under what the platform carries): the revocations then come
      // at that rate too, and their lateness is the platform's, not a queue this phase itself made.
      for (let i = 0; i < shortGrants; i++) {
        short.push(await submit(h, next(tokens), 'PT10S'));
        await new Promise((r) => setTimeout(r, 200));
      }
      requestsMade += shortGrants;
      await until('short grants revoked', () => short.every((id) => watch.revokedLateness.has(id)), 600_000);
      const lateness = short.map((id) => watch.revokedLateness.get(id)!);
      // What one short grant cost from request to verified revocation, with this many grants held:
      // unlike lateness it hardly moves with other load on the machine (idle cost of the phase included).
      const shortCpu = platformCpuUsed(shortCpuBefore, cpuSnapshot(h));
      for (const [name, ms] of shortCpu.byProcess) results[`CPU per short grant at ${size} active grants, ${name} (ms)`] = Math.round(ms / shortGrants);
      results[`CPU per short grant, granted and revoked, whole platform, at ${size} active grants (ms)`] = Math.round(shortCpu.total / shortGrants);
      results[`revocation lateness p50 at ${size} active grants (ms)`] = percentile(lateness, 0.5);
      results[`revocation lateness p99 at ${size} active grants (ms)`] = percentile(lateness, 0.99);
      results[`active grants during revocation at ${size}`] = active + shortGrants;
      results[`load average at ${size} active grants`] = loadAverage();
      // Replay of everything so far: its rate against the size of the log.
      const replay = await auditReplay(h);
      // Copies have no stream in the event store: the replay is of the requests made through the API.
      results[`audit replay at ${requestsMade} requests (events/s)`] = replay.eventsPerSecond;
      results[`audit replay at ${requestsMade} requests (events)`] = replay.events;
      results['audit replay (events/s)'] = replay.eventsPerSecond;
    }

    for (const [name, pid] of Object.entries(h.pids())) results[`RSS ${name} (MB)`] = rssMb(pid);
    results['load average at the end'] = loadAverage();
    return results;
  } finally {
    await stop();
    await h.stop();
  }
}
