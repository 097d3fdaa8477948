import { EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { startHarness } from '../e2e/platform-harness';

/**
 * Where the time of one request at rest goes, hop by hop (issue 17): the whole platform as `npm
 * start` runs it, one automatic request at a time, and the time each hop left behind — the POST's
 * answer, each event's append time in the event store, each Kafka record's timestamp (set by its
 * producer when sending), each consumer's inbox row (`processed_at`: the start of the transaction
 * that handled it), the provisioning job's rows, and the read model's `updated_at` once `active`.
 *
 *   node tools/run-ts.js tools/bench/request-hops.ts [requests]     (default 20)
 *
 * Prints, for every step, its median and largest offset from the POST, and the median of the gap
 * from the step before: a gap far above the CPU the step needs is a wait.
 */
interface Step {
  readonly label: string;
  readonly at: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : NaN;
};

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 20);
  const loadBefore = require('node:os').loadavg() as number[];
  const h = await startHarness({ LOG_LEVEL: 'warn', ...(process.env.HOPS_ENV ? JSON.parse(process.env.HOPS_ENV) : {}) });
  const records = new Map<string, Step[]>();
  const kafka = new Kafka({ clientId: 'hops', brokers: [h.urls.kafka!], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `hops-${Date.now()}`, maxWaitTimeInMs: 50 });
  const db = new Client({ connectionString: h.urls.postgres! });
  const eventStore = EventStoreDBClient.connectionString(h.urls.eventstore!);
  try {
    await db.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: ['access-request.events', 'provisioning.results'], fromBeginning: false });
    const ids = new Map<string, string>();
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const data = JSON.parse(message.value!.toString()) as { requestId?: string };
        const type = message.headers?.ce_type?.toString() ?? '?';
        const id = message.headers?.ce_id?.toString() ?? '';
        if (!data.requestId) return;
        ids.set(id, data.requestId);
        const steps = records.get(data.requestId) ?? [];
        steps.push({ label: `kafka ${topic} ${type} (producer timestamp)`, at: Number(message.timestamp) });
        steps.push({ label: `kafka ${topic} ${type} (seen by an outside consumer)`, at: Date.now() });
        steps.push({ label: `@id ${id} ${topic} ${type}`, at: 0 });
        records.set(data.requestId, steps);
      },
    });
    await new Promise((r) => setTimeout(r, 3_000));
    const admin = await h.token('admin', ['admin']);
    const created = await h.call('approval-policy-service', admin, 'POST', '/v1/identities', { id: 'hops-1', kind: 'person', displayName: 'Hops', managerId: 'maria', groups: ['engineering'] });
    if (created.status !== 201 && created.status !== 409) throw new Error(`identity: ${created.status}`);
    const token = await h.token('hops-1', ['requester']);
    const { rows: schemas } = await db.query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.tables WHERE table_name IN ('messaging_inbox', 'access_requests', 'provisioning_jobs')`,
    );
    const tableOf = (name: string) => schemas.filter((s) => s.table_name === name).map((s) => `"${s.table_schema}".${name}`);
    const timelines: Step[][] = [];
    for (let i = 0; i < count + 1; i++) {
      const t0 = Date.now();
      const res = await h.call('request-service', token, 'POST', '/v1/access-requests', { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'hops', duration: 'PT2H' });
      const t1 = Date.now();
      if (res.status !== 201) throw new Error(`POST: ${res.status} ${JSON.stringify(res.body)}`);
      const requestId = res.body.requestId as string;
      const steps: Step[] = [{ label: 'POST sent', at: t0 }, { label: 'POST answered 201', at: t1 }];
      const [readModel] = tableOf('access_requests');
      let active: { updated_at: Date } | undefined;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        const { rows } = await db.query<{ updated_at: Date; status: string }>(`SELECT status, updated_at FROM ${readModel} WHERE request_id = $1`, [requestId]);
        if (rows[0]?.status === 'active') {
          active = rows[0];
          break;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      if (!active) throw new Error(`request ${requestId} not active in 60 s`);
      steps.push({ label: 'read model: active (its transaction began)', at: active.updated_at.getTime() });
      steps.push({ label: 'read model: active seen by polling every 5 ms', at: Date.now() });
      // The records of this request reach the outside consumer a moment later.
      await new Promise((r) => setTimeout(r, 300));
      for await (const resolved of eventStore.readStream(`access-request-${requestId}`, { direction: FORWARDS, fromRevision: START })) {
        if (resolved.event) steps.push({ label: `event store: ${resolved.event.type} appended`, at: resolved.event.created.getTime() });
      }
      const kafkaSteps = records.get(requestId) ?? [];
      for (const s of kafkaSteps) if (!s.label.startsWith('@id')) steps.push(s);
      const messageIds = [...ids.entries()].filter(([, r]) => r === requestId).map(([id]) => id);
      for (const inbox of tableOf('messaging_inbox')) {
        const { rows } = await db.query<{ consumer_group: string; topic: string; message_id: string; processed_at: Date }>(
          `SELECT consumer_group, topic, message_id, processed_at FROM ${inbox} WHERE message_id = ANY($1)`,
          [messageIds],
        );
        for (const row of rows) {
          const type = kafkaSteps.find((s) => s.label.startsWith(`@id ${row.message_id} `))?.label.split(' ').pop();
          steps.push({ label: `inbox ${row.consumer_group}: ${row.topic} ${type} (transaction began)`, at: row.processed_at.getTime() });
        }
      }
      for (const jobs of tableOf('provisioning_jobs')) {
        const { rows } = await db.query<{ created_at: Date; updated_at: Date }>(`SELECT created_at, updated_at FROM ${jobs} WHERE request_id = $1 AND action = 'grant'`, [requestId]);
        for (const row of rows) {
          steps.push({ label: 'connector: grant job recorded', at: row.created_at.getTime() });
          steps.push({ label: 'connector: grant job done (verified, result queued)', at: row.updated_at.getTime() });
        }
      }
      steps.sort((a, b) => a.at - b.at);
      if (i > 0) timelines.push(steps); // the first request warms every path up
      await new Promise((r) => setTimeout(r, 200));
    }
    // Steps in the order of their median offset; gaps between consecutive steps.
    const labels = [...new Set(timelines.flatMap((t) => t.map((s) => s.label)))];
    const offsets = new Map(labels.map((l) => [l, timelines.map((t) => (t.find((s) => s.label === l)?.at ?? NaN) - t[0]!.at).filter(Number.isFinite)]));
    labels.sort((a, b) => median(offsets.get(a)!) - median(offsets.get(b)!));
    const width = Math.max(...labels.map((l) => l.length));
    process.stdout.write(`\n${timelines.length} requests, one at a time; load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${(require('node:os').loadavg() as number[]).map((l) => l.toFixed(1)).join(' ')}\n`);
    process.stdout.write(`${'step'.padEnd(width)}  median ms  max ms  median gap from the step before\n`);
    let previous: string | undefined;
    for (const label of labels) {
      const gaps = previous
        ? timelines.map((t) => (t.find((s) => s.label === label)?.at ?? NaN) - (t.find((s) => s.label === previous)?.at ?? NaN)).filter(Number.isFinite)
        : [];
      const o = offsets.get(label)!;
      process.stdout.write(`${label.padEnd(width)}  ${String(Math.round(median(o))).padStart(9)}  ${String(Math.max(...o)).padStart(6)}  ${previous ? String(Math.round(median(gaps))) : ''}\n`);
      previous = label;
    }
    // The three events of one append published in one batch by the stream relay, or not.
    const sentAt = (t: Step[], type: string) => t.find((s) => s.label === `kafka access-request.events ${type} (producer timestamp)`)?.at;
    const together = timelines.filter((t) => sentAt(t, 'AccessRequested') !== undefined && sentAt(t, 'AccessRequested') === sentAt(t, 'GrantRequested')).length;
    process.stdout.write(`\nAccessRequested and GrantRequested in one publish of the stream relay: ${together} of ${timelines.length} requests\n`);
    // The slowest request step by step: where an outlier waited.
    const activeAt = (t: Step[]) => (t.find((s) => s.label === 'read model: active (its transaction began)')?.at ?? NaN) - t[0]!.at;
    const slowest = [...timelines].sort((a, b) => activeAt(b) - activeAt(a))[0];
    if (slowest) {
      process.stdout.write(`\nthe slowest request (${activeAt(slowest)} ms to active):\n`);
      for (const [i, step] of slowest.entries()) process.stdout.write(`${step.label.padEnd(width)}  ${String(step.at - slowest[0]!.at).padStart(9)}  ${i > 0 ? step.at - slowest[i - 1]!.at : ''}\n`);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await db.end().catch(() => undefined);
    await eventStore.dispose().catch(() => undefined);
    await h.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`hops failed: ${error.stack}\n`);
    process.exit(1);
  },
);
