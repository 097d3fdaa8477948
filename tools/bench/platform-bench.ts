import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startHarness, type Harness } from '../e2e/platform-harness';

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
    const res = await h.call('request-service', token, 'POST', '/v1/access-requests', {
      items: [{ resourceId: 'orders-db', role: 'readonly' }],
      justification: 'benchmark',
      duration,
    });
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

async function auditReplay(h: Harness): Promise<number> {
  const env = { ...process.env, DATABASE_URL: h.urls.postgres!, EVENTSTORE_URL: h.urls.eventstore!, AUTH_ISSUER: 'unused', AUTH_JWKS_URL: 'http://127.0.0.1/unused', LOG_LEVEL: 'error' };
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'run-ts.js'), 'apps/audit-projector/src/cli.ts', 'replay'], { env });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    child.once('exit', () => resolve(text));
    child.once('error', reject);
  });
  const match = /([\d,.]+)\s*events?\s*\/\s*s/i.exec(output) ?? /([\d,.]+)\s*events per second/i.exec(output);
  if (!match) throw new Error(`could not read the replay rate from:\n${output}`);
  return Number(match[1]!.replace(/,/g, ''));
}

export async function benchPlatform(options: { requests?: number; activeGrants?: number } = {}): Promise<Record<string, number>> {
  const requests = options.requests ?? Number(process.env.BENCH_REQUESTS ?? 500);
  const activeGrants = options.activeGrants ?? Number(process.env.BENCH_ACTIVE_GRANTS ?? 10_000);
  const h = await startHarness({ LOG_LEVEL: 'warn' });
  const { watch, stop } = await watchEvents(h);
  try {
    const tokens = await benchRequesters(h, 50);
    const results: Record<string, number> = {};

    // Throughput: as many automatically approved requests as the platform takes, 25 in flight.
    const started = Date.now();
    const ids: string[] = [];
    await pool(Array.from({ length: requests }), 25, async () => void ids.push(await submit(h, next(tokens), 'PT1H')));
    await until('all throughput requests active', () => ids.every((id) => watch.granted.has(id)), 600_000);
    const last = Math.max(...ids.map((id) => watch.granted.get(id)!));
    results['requests carried to active per second'] = Math.round((requests / (last - started)) * 1000);

    // Latency at a fixed 50 requests per second.
    const latencies: number[] = [];
    const sent: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      const at = started + (last - started) + 1_000 + i * 20;
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      const sentAt = Date.now();
      sent.push(submit(h, next(tokens), 'PT1H').then(async (id) => {
        await until('granted', () => watch.granted.has(id), 120_000);
        latencies.push(watch.granted.get(id)! - sentAt);
      }));
    }
    await Promise.all(sent);
    results['request to active p50 at 50 req/s (ms)'] = percentile(latencies, 0.5);
    results['request to active p99 at 50 req/s (ms)'] = percentile(latencies, 0.99);

    // Revocation lateness with many grants active.
    const background = Math.max(0, activeGrants - ids.length - 500);
    const backgroundStart = Date.now();
    const backgroundIds: string[] = [];
    await pool(Array.from({ length: background }), 25, async () => void backgroundIds.push(await submit(h, next(tokens), 'PT2H')));
    results['background requests submitted per second'] = Math.round((background / (Date.now() - backgroundStart)) * 1000);
    // Lateness is measured with the grants really active, not queued behind them.
    await until('background grants active', () => backgroundIds.every((id) => watch.granted.has(id)), 30 * 60_000);
    const short: string[] = [];
    for (let i = 0; i < 200; i++) {
      short.push(await submit(h, next(tokens), 'PT10S'));
      await new Promise((r) => setTimeout(r, 50));
    }
    await until('short grants revoked', () => short.every((id) => watch.revokedLateness.has(id)), 300_000);
    const lateness = short.map((id) => watch.revokedLateness.get(id)!);
    results['active grants during revocation'] = ids.length + 500 + background;
    results['revocation lateness p50 (ms)'] = percentile(lateness, 0.5);
    results['revocation lateness p99 (ms)'] = percentile(lateness, 0.99);

    for (const [name, pid] of Object.entries(h.pids())) results[`RSS ${name} (MB)`] = rssMb(pid);
    results['audit replay (events/s)'] = await auditReplay(h);
    return results;
  } finally {
    await stop();
    await h.stop();
  }
}
