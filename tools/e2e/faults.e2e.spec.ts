import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { poll, startHarness, type Harness } from './platform-harness';

/**
 * Issue 19, the fault drill: load runs the whole time while every process (PostgreSQL included) is
 * killed with kill -9 and restarted by the launcher, one identity's grant is stalled by a lock held
 * in the target database, a reply is lost after a committed submission (request-service killed
 * right after the POST; the client retries with the same Idempotency-Key), and the data folder (a
 * small filesystem this test mounts) is filled to the last byte and then given room again.
 * Afterwards: every intent granted once, nothing granted twice, nothing left past expiry, every
 * stream event on Kafka and in the audit, nobody acted by hand, and revocation on time outside the
 * fault windows.
 *
 * The identities are the demo directory's (`npm start` loads it): alice, dave and erin make the
 * load, frank is the one whose target role is stalled, bob loses a reply.
 */
describe('the platform under faults', () => {
  let h: Harness;
  let auditor: string;
  let dataDir = '';
  let mounted = false;
  const requesters = ['alice', 'dave', 'erin'];
  const tokens = new Map<string, string>();
  /** Every acknowledged submission: its request id, the identity it is for, and its intent. */
  const submitted: { requestId: string; subject: string; justification: string }[] = [];
  const windows: { what: string; from: number; to: number }[] = [];
  const services = ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector', 'notifier'];

  beforeAll(async () => {
    h = await startHarness(
      {},
      {
        // The whole data folder (PostgreSQL, both servers, logs) on a filesystem of its own that
        // the test can fill: tmpfs, mounted as root (CI runs as root).
        beforeStart: (dir) => {
          dataDir = dir;
          execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512m,mode=0755', 'tmpfs', dir]);
          mounted = true;
        },
      },
    );
    auditor = await h.token('audrey', ['auditor']);
    for (const sub of [...requesters, 'frank', 'bob']) tokens.set(sub, await h.token(sub, ['requester']));
  }, 300_000);

  afterAll(async () => {
    await h?.stop();
    if (mounted && !process.env.KAIROS_E2E_KEEP) {
      execFileSync('umount', ['-l', dataDir]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  /** One intent: the same Idempotency-Key on every retry, until an answer says it was recorded. */
  async function submit(subject: string, justification: string, key: string = randomUUID()): Promise<string> {
    let last = '';
    return poll(`a request for ${subject} accepted`, async () => {
      const res = await fetch(`${h.urls['request-service']}/v1/access-requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.get(subject)!}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ items: [{ resourceId: 'orders-db', role: 'readonly' }], justification, duration: 'PT6S' }),
        signal: AbortSignal.timeout(15_000),
      }).catch((error: Error) => void (last = error.message));
      if (res && (res.status === 201 || res.status === 200)) return ((await res.json()) as { requestId: string }).requestId;
      // Only an outage may hold a submission back; a refusal (4xx) is a bug of the drill or the platform.
      if (res && res.status < 500) throw new Error(`a request for ${subject} refused: ${res.status} ${await res.text()}`);
      if (res) last = `${res.status} ${await res.text()}`;
      return undefined;
    }, 180_000).catch((error: Error) => {
      throw new Error(`${error.message}; last answer: ${last}`);
    });
  }

  async function record(subject: string, justification: string, key?: string): Promise<string> {
    const requestId = await submit(subject, justification, key);
    submitted.push({ requestId, subject, justification });
    return requestId;
  }

  async function window<T>(what: string, fault: () => Promise<T>): Promise<T> {
    const from = Date.now();
    try {
      return await fault();
    } finally {
      windows.push({ what, from, to: Date.now() });
    }
  }

  /** Every service ready again (its database, the event store and Kafka reachable), no operator involved. */
  const allReady = () =>
    poll('every service ready', async () => {
      const answers = await Promise.all(
        services.map((s) => fetch(`${h.urls[s]}/health/ready`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.ok, () => false)),
      );
      return answers.every(Boolean);
    }, 180_000);

  it('keeps every invariant while processes die, a target stalls, a reply is lost and the disk fills', async () => {
    const load1 = loadavg()[0]!;
    let loading = true;
    let n = 0;
    let loadError: unknown;
    const load = (async () => {
      while (loading) {
        const subject = requesters[n++ % requesters.length]!;
        await record(subject, `fault drill ${n}`);
        await new Promise((r) => setTimeout(r, 700));
      }
    })().catch((error: unknown) => void (loadError = error));

    // Quiet first: the figure without faults.
    await new Promise((r) => setTimeout(r, 25_000));

    for (const victim of ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector', 'notifier', 'eventstore', 'kafka', 'postgres']) {
      await window(`kill -9 ${victim}`, async () => {
        await h.crash(victim);
        await allReady();
      });
      await new Promise((r) => setTimeout(r, 2_000));
    }

    // A stalled target: frank's membership is held by another session's open transaction. His
    // grant times out and is retried; everyone else's grants and revocations go on; readiness
    // says the postgres connector is stuck.
    await record('frank', 'first grant, to learn his role in the target');
    const frankRole = await poll('frank granted once', async () =>
      (await h.targetRoleMembers('orders_readonly')).find((m) => m.startsWith('kairos_frank_')),
    );
    await poll('frank revoked', async () => !(await h.targetRoleMembers('orders_readonly')).includes(frankRole), 60_000);
    const stuckReadiness = await window('stalled target', async () => {
      const locker = new Client({ connectionString: h.urls['target-postgres'] });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query(`GRANT orders_readonly TO ${locker.escapeIdentifier(frankRole)}`);
        const during = submitted.length;
        await record('frank', 'stalled grant');
        const readiness = await poll('readiness names the stuck connector', async () => {
          const res = await fetch(`${h.urls['provisioning-connector']}/health/ready`).catch(() => undefined);
          const body = res ? await res.text() : '';
          return res?.status === 503 && body.includes('stuck') ? body : undefined;
        }, 60_000);
        // Others were granted meanwhile.
        await poll('other grants while frank is stuck', async () => {
          const fresh = submitted.slice(during).filter((s) => s.subject !== 'frank');
          if (fresh.length < 2) return false;
          const res = await h.call('request-service', auditor, 'GET', `/v1/access-requests/${fresh[0]!.requestId}`);
          return (res.body.history as { type: string }[] | undefined)?.some((e) => e.type === 'AccessGranted');
        }, 60_000);
        return readiness;
      } finally {
        await locker.query('ROLLBACK').catch(() => undefined);
        await locker.end().catch(() => undefined);
      }
    });
    expect(stuckReadiness).toContain('connector:postgres');
    expect(stuckReadiness).toContain('orders_readonly');

    // A lost reply: request-service dies right after the POST; the client retries with the same key.
    const lostKey = randomUUID();
    const lostJustification = `lost reply ${lostKey}`;
    const lostRequestId = await window('lost reply', async () => {
      const first = fetch(`${h.urls['request-service']}/v1/access-requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.get('bob')!}`, 'content-type': 'application/json', 'idempotency-key': lostKey },
        body: JSON.stringify({ items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: lostJustification, duration: 'PT6S' }),
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 30));
      await h.crash('request-service');
      await first;
      return record('bob', lostJustification, lostKey);
    });

    // A full disk: the data folder is filled to the last byte for a while, then has room again.
    // Every process refuses or retries what it cannot write; nobody restarts anything by hand.
    const restartsOf = (name: string) => h.launcherOutput().split(`${name} exited`).length - 1;
    const serverRestarts = () => [restartsOf('eventstore'), restartsOf('kafka')];
    const serversBefore = serverRestarts();
    await window('full disk', async () => {
      const filler = join(dataDir, 'filler');
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // dd stops with "No space left on device": that is the point
      }
      expect(() => writeFileSync(join(dataDir, 'probe'), Buffer.alloc(256 * 1024))).toThrow(/ENOSPC/);
      await new Promise((r) => setTimeout(r, 10_000));
      rmSync(filler);
      rmSync(join(dataDir, 'probe'), { force: true });
      await allReady();
    });
    // Both servers refused what they could not write and went on; neither died of it.
    expect(serverRestarts()).toEqual(serversBefore);
    const load2 = loadavg()[0]!;

    // Quiet again at the end, then let everything run out.
    await new Promise((r) => setTimeout(r, 25_000));
    loading = false;
    await load;
    if (loadError) throw loadError;

    const views = await poll('every request at a terminal state', async () => {
      const all = await Promise.all(
        submitted.map(async (s) => (await h.call('request-service', auditor, 'GET', `/v1/access-requests/${s.requestId}`)).body),
      );
      return all.every((v) => v.items?.every((i: { terminal: boolean }) => i.terminal)) ? all : undefined;
    }, 240_000);

    type Entry = { type: string; eventId: string; revision: number; data: Record<string, unknown> };
    const lateness: { ms: number; inFault: boolean; expiresAt: number }[] = [];
    for (const view of views) {
      const history = view.history as Entry[];
      expect(view.items[0].status).toBe('expired');
      expect(history.filter((e) => e.type === 'AccessGranted')).toHaveLength(1);
      expect(history.filter((e) => e.type === 'AccessRevoked')).toHaveLength(1);
      // Nobody acted by hand: no review, no ticket, and the one revocation is the expiry's.
      expect(history.filter((e) => e.type === 'ReviewRecorded' || 'fulfilledBy' in (e.data ?? {}))).toEqual([]);
      expect(history.filter((e) => e.type === 'RevocationRequested').map((e) => e.data.reason)).toEqual(['expired']);
      expect(history.map((e) => e.revision)).toEqual(history.map((_, i) => i));
      const expiresAt = Date.parse(String(history.find((e) => e.type === 'AccessGranted')!.data.expiresAt));
      const revokedAt = Date.parse(String(history.find((e) => e.type === 'AccessRevoked')!.data.revokedAt));
      // Lateness counts as "in a fault" when the expiry fell in a window or in the 15 s after it.
      const inFault = windows.some((w) => expiresAt >= w.from - 1_000 && expiresAt <= w.to + 15_000);
      lateness.push({ ms: revokedAt - expiresAt, inFault, expiresAt });
    }
    expect((await h.targetRoleMembers('orders_readonly')).filter((m) => m.startsWith('kairos_'))).toEqual([]);

    // Each intent was recorded once, whatever its client saw: every request on the platform, by
    // its justification (one per intent), and the lost reply's retry found the first request.
    const all: { requestId: string; justification: string }[] = [];
    for (let offset = 0; ; offset += 200) {
      const page = await h.call('request-service', auditor, 'GET', `/v1/access-requests?limit=200&offset=${offset}`);
      expect(page.status).toBe(200);
      all.push(...(page.body.items as { requestId: string; justification: string }[]));
      if (offset + 200 >= page.body.total) break;
    }
    const perIntent = new Map<string, number>();
    for (const r of all) perIntent.set(r.justification, (perIntent.get(r.justification) ?? 0) + 1);
    expect([...perIntent].filter(([, count]) => count > 1)).toEqual([]);
    expect(new Set(all.map((r) => r.requestId))).toEqual(new Set(submitted.map((s) => s.requestId)));
    expect(submitted.filter((s) => s.requestId === lostRequestId)).toHaveLength(1);

    const expected = new Set(views.flatMap((v) => (v.history as Entry[]).map((e) => e.eventId)));
    const onKafka = new Set<string>();
    // Ids of the lost reply's AccessRequested records (a relay re-sends after a crash: consumers
    // drop repeats by ce_id, so the intent counts once per distinct id).
    const lostIntents = new Set<string>();
    const kafka = new Kafka({ clientId: 'fault-check', brokers: [h.urls.kafka!], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `fault-check-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'access-request.events', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        onKafka.add(message.headers?.ce_id?.toString() ?? '');
        if (message.value?.toString().includes(lostJustification) && message.headers?.ce_type?.toString() === 'AccessRequested') lostIntents.add(message.headers.ce_id?.toString() ?? '');
      },
    });
    await poll('every stream event on access-request.events', async () => [...expected].every((id) => onKafka.has(id)), 90_000);
    await consumer.disconnect();
    // The lost reply's intent was recorded once, whatever the client saw.
    expect(lostIntents.size).toBe(1);

    await poll('the audit projector caught up with every request', async () => {
      for (const view of views) {
        const timeline = await h.call('audit-projector', auditor, 'GET', `/v1/audit/requests/${view.requestId}/timeline`);
        const entries = (Array.isArray(timeline.body) ? timeline.body : timeline.body?.events ?? timeline.body?.timeline ?? []) as unknown[];
        if (entries.length !== (view.history as unknown[]).length) return false;
      }
      return true;
    }, 90_000);

    const figures = (inFault: boolean) => {
      const ms = lateness.filter((l) => l.inFault === inFault).map((l) => l.ms).sort((a, b) => a - b);
      const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
      return { n: ms.length, p50: at(0.5), p95: at(0.95), max: ms[ms.length - 1] ?? 0 };
    };
    const quiet = figures(false);
    const faulty = figures(true);
    // Per fault: how long it lasted (until everything answered again) and the latest revocation of
    // an expiry in it or in the 15 s after it.
    const perWindow = windows.map((w) => {
      const inIt = lateness.filter((l) => l.expiresAt >= w.from - 1_000 && l.expiresAt <= w.to + 15_000).map((l) => l.ms);
      return { fault: w.what, ms: w.to - w.from, expiries: inIt.length, maxLateMs: inIt.length ? Math.max(...inIt) : null };
    });
    process.stdout.write(
      `revocation lateness (ms) outside faults ${JSON.stringify(quiet)}; in or just after a fault ${JSON.stringify(faulty)}; ` +
        `load average ${load1.toFixed(1)} at the start, ${load2.toFixed(1)} after the faults\nper fault ${JSON.stringify(perWindow)}\n`,
    );
    expect(quiet.n).toBeGreaterThan(10);
    // "Within a few seconds": about 2 s is usual; the bound leaves room for a machine loaded far
    // beyond its cores (load averages of 20 on 2 cores were seen), and is still far from the 16 to
    // 130 s the faults cost before issue 19.
    expect(quiet.max).toBeLessThan(10_000);
  }, 1_500_000);
});
