import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

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
  const perSend = 1_000;
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

export async function benchKafka(): Promise<Record<string, number>> {
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

if (process.argv[1] === __filename) {
  benchKafka().then(
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
