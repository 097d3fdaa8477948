import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { headerValue } from '@kairos/messaging';
import { poll, startHarness, type Harness, type Service } from './platform-harness';

/**
 * Scale-out (issue 14): two replicas of every service side by side, as `npm start` runs them with
 * KAIROS_REPLICAS=2 (same database, topics and consumer groups). Requests go to both request
 * services; the replica that relays the streams to Kafka, and the one that writes the audit chain,
 * is killed with kill -9 mid-run and the other takes over (ADR 0028); a scheduler and a connector
 * replica are killed too. Afterwards every invariant holds: each grant once, each revocation once
 * and on time, each request's events in stream order on Kafka, the audit caught up and intact.
 */
describe('two replicas of every service', () => {
  let h: Harness;
  let admin: string;
  let auditor: string;
  const requests: { id: string; who: string; via: Service }[] = [];

  const logOf = (name: string) => {
    try {
      return readFileSync(join(h.dataDir, 'logs', `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  };
  /** Times this replica took the lock of `what` (its log says so each time it starts leading). */
  const leads = (name: string, what: string) => logOf(name).split('\n').filter((l) => l.includes('"leading: this replica does the single-active work"') && l.includes(what)).length;
  const leaderOf = (service: string, what: string) =>
    poll(`a leader of ${what}`, async () => [service, `${service}-2`].find((name) => leads(name, what) > 0), 120_000);
  const submit = async (who: string, via: Service) => {
    const token = await h.token(who, ['requester']);
    const res = await h.call(via, token, 'POST', '/v1/access-requests', { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: `INC-900 scale-out ${who}`, duration: 'PT25S' });
    expect({ who, via, status: res.status }).toEqual({ who, via, status: 201 });
    requests.push({ id: res.body.requestId as string, who, via });
  };
  const itemStatus = async (r: { id: string; who: string }, via: Service) => {
    const res = await h.call(via, await h.token(r.who, ['requester']), 'GET', `/v1/access-requests/${r.id}`);
    return res.body?.items?.[0]?.status as string | undefined;
  };

  beforeAll(async () => {
    h = await startHarness({}, { replicas: 2 });
    admin = await h.token('admin', ['admin']);
    auditor = await h.token('audrey', ['auditor']);
    // Every replica is up and ready (a standby of a single-active part is ready too).
    for (const name of Object.keys(h.pids()).filter((n) => /-service|connector|scheduler|projector|notifier/.test(n))) {
      await poll(`${name} ready`, async () => (await fetch(`${h.urls[name]}/health/ready`).catch(() => undefined))?.ok, 180_000);
    }
  }, 600_000);

  afterAll(async () => {
    await h?.stop();
  }, 180_000);

  it('runs side by side: twelve service processes, each answering on its own port', () => {
    const names = Object.keys(h.pids());
    for (const service of ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector', 'notifier']) {
      expect(names).toEqual(expect.arrayContaining([service, `${service}-2`]));
      expect(h.pids()[service]).not.toBe(h.pids()[`${service}-2`]);
    }
    expect(admin).toBeTruthy();
  });

  it('grants and revokes every request once and on time while the active relay, the audit writer, a scheduler and a connector are killed, with order kept on Kafka and the audit caught up', async () => {
    // Exactly one replica relays the streams and one writes the audit chain.
    const relay = await leaderOf('request-service', 'kafka-relay');
    const audit = await leaderOf('audit-projector', 'audit-live-projection');
    const standbyRelay = relay === 'request-service' ? 'request-service-2' : 'request-service';
    const standbyAudit = audit === 'audit-projector' ? 'audit-projector-2' : 'audit-projector';
    expect(leads(standbyRelay, 'kafka-relay')).toBe(0);
    expect(leads(standbyAudit, 'audit-live-projection')).toBe(0);

    // The demo's people, one request each (one person's two grants of one role would share it).
    const people = ['alice', 'dave', 'erin', 'frank', 'maria', 'bob'];
    for (let i = 0; i < 3; i++) await submit(people[i]!, i % 2 === 0 ? 'request-service' : 'request-service-2');
    // kill -9 the active relay and audit writer: the standbys take over while their successors restart.
    await Promise.all([h.crash(relay), h.crash(audit)]);
    await poll('the standby relay took over', async () => leads(standbyRelay, 'kafka-relay') > 0 || leads(relay, 'kafka-relay') > 1, 120_000);
    await poll('the standby audit writer took over', async () => leads(standbyAudit, 'audit-live-projection') > 0 || leads(audit, 'audit-live-projection') > 1, 120_000);
    for (let i = 3; i < 6; i++) await submit(people[i]!, i % 2 === 0 ? 'request-service' : 'request-service-2');
    // While those are active: one scheduler and one connector replica die too.
    await poll('the later requests active', async () => {
      for (const r of requests.slice(3)) if ((await itemStatus(r, 'request-service')) !== 'active') return false;
      return true;
    }, 180_000);
    await Promise.all([h.crash('expiry-scheduler'), h.crash('provisioning-connector-2')]);

    for (const r of requests) await poll(`${r.id} expired (revoked)`, async () => (await itemStatus(r, r.via)) === 'expired', 240_000);

    // Really revoked in the target.
    const members = await h.targetRoleMembers('orders_readonly');
    expect(members.filter((m) => requests.some((r) => m.startsWith(`kairos_${r.who}_`)))).toEqual([]);

    // Each grant and each revocation once, in the stream and in the connector's jobs.
    const esdb = EventStoreDBClient.connectionString(h.urls.eventstore!);
    const streams = new Map<string, { id: string; type: string; data: Record<string, unknown>; created: Date }[]>();
    try {
      for (const r of requests) {
        const events: { id: string; type: string; data: Record<string, unknown>; created: Date }[] = [];
        for await (const e of esdb.readStream(`access-request-${r.id}`, { fromRevision: START, direction: FORWARDS })) {
          if (e.event) events.push({ id: e.event.id, type: e.event.type, data: e.event.data as Record<string, unknown>, created: e.event.created });
        }
        streams.set(r.id, events);
      }
    } finally {
      await esdb.dispose();
    }
    const lateness: number[] = [];
    for (const r of requests) {
      const events = streams.get(r.id)!;
      const count = (type: string) => events.filter((e) => e.type === type).length;
      expect({ request: r.id, granted: count('AccessGranted'), revoked: count('AccessRevoked'), expired: count('AccessExpired') }).toEqual({ request: r.id, granted: 1, revoked: 1, expired: 1 });
      const expiresAt = Date.parse(String(events.find((e) => e.type === 'AccessGranted')!.data.expiresAt));
      lateness.push((events.find((e) => e.type === 'AccessRevoked')!.created.getTime() - expiresAt) / 1000);
    }
    process.stdout.write(`revocation lateness with two replicas and kills (s): ${lateness.map((l) => l.toFixed(1)).join(' ')}\n`);
    // On time: well within the minute an operator's alert allows, on a loaded 2-core machine with kills.
    expect(lateness.filter((l) => l > 60)).toEqual([]);
    const pg = new Client({ connectionString: h.urls.postgres });
    await pg.connect();
    try {
      const { rows } = await pg.query(
        `SELECT grant_id, action, count(*)::int AS n, min(status) AS status FROM provisioning.provisioning_jobs WHERE request_id = ANY($1::text[]) GROUP BY grant_id, action`,
        [requests.map((r) => r.id)],
      );
      expect(rows.length).toBe(requests.length * 2);
      expect(rows.filter((row: { n: number; status: string }) => row.n !== 1 || row.status !== 'succeeded')).toEqual([]);
    } finally {
      await pg.end();
    }

    // Each request's events on Kafka in stream order (a re-send after the kill may repeat some; the first copies keep the order).
    const seen = new Map<string, string[]>();
    const kafka = new Kafka({ clientId: 'replicas-check', brokers: [h.urls.kafka!], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `replicas-check-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'access-request.events', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        const id = headerValue(message.headers, 'ce_id') ?? '';
        const list = seen.get(key) ?? [];
        if (!list.includes(id)) list.push(id);
        seen.set(key, list);
      },
    });
    try {
      await poll('every event on Kafka', async () => requests.every((r) => (seen.get(r.id)?.length ?? 0) >= streams.get(r.id)!.length), 120_000);
    } finally {
      await consumer.disconnect();
    }
    for (const r of requests) expect({ request: r.id, kafka: seen.get(r.id) }).toEqual({ request: r.id, kafka: streams.get(r.id)!.map((e) => e.id) });

    // The audit caught up with every stream (whichever replica wrote it) and its chain is intact.
    for (const r of requests) {
      await poll(`audit of ${r.id} caught up`, async () => {
        const res = await h.call('audit-projector-2', auditor, 'GET', `/v1/audit/requests/${r.id}/timeline`);
        const entries = (Array.isArray(res.body) ? res.body : res.body?.events ?? res.body?.timeline ?? []) as { type: string }[];
        const types = entries.map((e) => e.type);
        return ['AccessRequested', 'AccessGranted', 'AccessExpired', 'RevocationRequested', 'AccessRevoked'].every((t) => types.includes(t));
      }, 120_000);
    }
    const verified = await h.call('audit-projector', auditor, 'GET', '/v1/audit/verify');
    expect(verified.status).toBe(200);
    expect({ ok: verified.body.ok, failed: verified.body.failed }).toEqual({ ok: true, failed: [] });
  }, 1_200_000);
});
