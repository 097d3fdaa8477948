import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { readBatchHeader } from '../src/protocol/record-batch';
import { TopicStore } from '../src/storage/topic-store';
import { recordBatch } from '../test/raw-client';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const MESSAGES = 100_000;
const VALUE = Buffer.alloc(1024, 'x');
const LATENCY_RATE = 1_000;
const LATENCY_SECONDS = 5;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, 'localhost', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function spawnBroker(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['tools/run-ts.js', 'infra/kafka-broker/src/main.ts', '--port', String(port), '--data', dataDir, '--partitions', '4'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return child;
}

function currentRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/**
 * Writes a log of about `mb` MiB into one partition with the broker's own storage code, as
 * services write it: one ~1 KB record per batch (the worst case for the per-batch index).
 */
async function writeLog(dataDir: string, mb: number): Promise<{ batches: number; bytes: number }> {
  const topics = new TopicStore(dataDir, { retentionBytes: -1, retentionMs: -1, maxMessageBytes: 1_000_012, segmentBytes: 64 * 1024 * 1024 }, () => undefined);
  const log = topics.create('bench-log', 1).partitions[0];
  const value = 'v'.repeat(1000);
  const template = recordBatch({ values: [value], keys: ['key-0000000'] });
  let bytes = 0;
  let batches = 0;
  let last: Promise<void> = Promise.resolve();
  while (bytes < mb * 1024 * 1024) {
    const batch = Buffer.from(template);
    last = log.append(batch, readBatchHeader(batch)).durable;
    bytes += batch.length;
    batches++;
    if (batches % 20_000 === 0) await last;
  }
  await last;
  topics.close();
  return { batches, bytes };
}

async function timedStart(port: number, dataDir: string): Promise<{ child: ChildProcess; ms: number }> {
  const start = performance.now();
  const child = await spawnBroker(port, dataDir);
  return { child, ms: Math.round(performance.now() - start) };
}

async function kill9(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
}

/**
 * Broker RSS and restart time (after kill -9) against log size. Sizes in MiB from
 * BENCH_KAFKA_LOG_MB (comma-separated; default "0,256,1024"; e.g. "4096,8192" for large logs).
 */
export async function benchKafkaLogSize(): Promise<Record<string, number>> {
  const sizes = (process.env.BENCH_KAFKA_LOG_MB ?? '0,256,1024').split(',').map((s) => Number(s.trim()));
  const out: Record<string, number> = {};
  for (const mb of sizes) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-bench-log-'));
    try {
      const { batches } = mb > 0 ? await writeLog(dataDir, mb) : { batches: 0 };
      const port = await freePort();
      const first = await timedStart(port, dataDir);
      await kill9(first.child);
      const again = await timedStart(port, dataDir);
      await new Promise((r) => setTimeout(r, 1000));
      out[`log ${mb} MiB (${batches} batches): restart after kill -9 ms`] = again.ms;
      out[`log ${mb} MiB: broker RSS MB after restart`] = currentRssMb(again.child.pid as number);
      out[`log ${mb} MiB: broker peak RSS MB during restart`] = peakRssMb(again.child.pid as number);
      await kill9(again.child);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return out;
}

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function produceThroughput(kafka: Kafka, topic: string): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  // 500 records of 1 KB stay under Kafka's default max.message.bytes (1000012), which the broker now enforces.
  const perSend = 500;
  const inFlight = 4;
  const start = performance.now();
  let next = 0;
  const worker = async (partition: number) => {
    while (next < MESSAGES) {
      next += perSend;
      await producer.send({ topic, acks: -1, messages: Array.from({ length: perSend }, () => ({ value: VALUE, partition })) });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, i) => worker(i)));
  const seconds = (performance.now() - start) / 1000;
  await producer.disconnect();
  return Math.round(next / seconds);
}

async function consumeThroughput(kafka: Kafka, topic: string, total: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-${Date.now()}`, maxWaitTimeInMs: 100, maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let start = 0;
  const seconds = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (start === 0) start = performance.now();
        count += batch.messages.length;
        if (count >= total) resolve((performance.now() - start) / 1000);
      },
    });
  });
  await consumer.disconnect();
  return Math.round(count / seconds);
}

async function endToEndLatency(kafka: Kafka, topic: string): Promise<{ p50: number; p99: number }> {
  const consumer = kafka.consumer({ groupId: `latency-${Date.now()}`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const latencies: number[] = [];
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      latencies.push(performance.now() - Number(message.value?.subarray(0, 20).toString()));
    },
  });
  await joined;
  await new Promise((r) => setTimeout(r, 500));
  const producer = kafka.producer();
  await producer.connect();
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / LATENCY_RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const stamp = Buffer.from(performance.now().toFixed(3).padEnd(20, ' '));
    void producer.send({ topic, acks: -1, messages: [{ value: Buffer.concat([stamp, VALUE.subarray(20)]) }] });
  }
  const deadline = Date.now() + 30_000;
  while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await producer.disconnect();
  await consumer.disconnect();
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: Number(percentile(sorted, 50).toFixed(2)), p99: Number(percentile(sorted, 99).toFixed(2)) };
}

export async function benchKafkaThroughput(): Promise<Record<string, number>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-bench-'));
  const port = await freePort();
  const broker = await spawnBroker(port, dataDir);
  try {
    const kafka = new Kafka({ clientId: 'bench', brokers: [`localhost:${port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: 4 }, { topic: 'latency', numPartitions: 1 }] });
    await admin.disconnect();
    const produced = await produceThroughput(kafka, 'bench');
    const consumed = await consumeThroughput(kafka, 'bench', MESSAGES);
    const latency = await endToEndLatency(kafka, 'latency');
    return {
      'produce msgs/s (1 KB, acks=-1)': produced,
      'consume msgs/s (1 KB)': consumed,
      'e2e latency p50 ms @1000 msg/s': latency.p50,
      'e2e latency p99 ms @1000 msg/s': latency.p99,
      'broker peak RSS MB': peakRssMb(broker.pid as number),
    };
  } finally {
    broker.kill('SIGTERM');
    await new Promise((r) => broker.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `npm run bench -- kafka`: throughput and latency, then RSS and restart time against log size. */
export async function benchKafka(): Promise<Record<string, number>> {
  const throughput = await benchKafkaThroughput();
  return { ...throughput, ...(await benchKafkaLogSize()) };
}

if (process.argv[1] === __filename) {
  (process.argv.includes('--log-size') ? benchKafkaLogSize() : benchKafka()).then(
    (results) => {
      console.table(Object.entries(results).map(([metric, value]) => ({ metric, value })));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
