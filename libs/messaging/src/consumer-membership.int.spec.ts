import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { messageKeys } from '@kairos/config';
import { openServiceDataSource } from '@kairos/persistence';
import { createTestTopics } from './topics.fixture';
import { createTestDatabase, freePort, generateTestMessageKeys, startTestKafka, type TestDatabase } from '@kairos/testing';
import { bindMessageAuthentication, messageAuthentication } from './authentication';
import { CONSUMER_SESSION_TIMEOUT_MS } from './consumer';
import type { OutgoingMessage } from './envelope';
import { MessagingRuntime } from './messaging-runtime';
import { messagingMigrations } from './migrations';
import { MessagePublisher } from './publisher';
import { contractSchemas } from './schemas';

const TOPIC = 'expiry.events';
const root = join(__dirname, '..', '..', '..');

function timerFired(id: string): OutgoingMessage {
  return {
    topic: TOPIC,
    key: `request-${id}`,
    id,
    type: 'TimerFired',
    subject: `request-${id}`,
    time: '2026-11-24T10:00:00.000Z',
    source: 'urn:kairos:expiry-scheduler',
    data: { timerId: `t-${id}`, requestId: `request-${id}`, itemId: 'i1', kind: 'access_expiry', dueAt: '2026-11-24T10:00:00.000Z', firedAt: '2026-11-24T10:00:00.100Z' },
    correlationId: `corr-${id}`,
  };
}

async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Group membership after a crash, a clean stop and a broker restart (ADR 0010): a restarted
 * consumer is blind for a few seconds at most, not the 30 s of a long session.
 */
describe('consumer group membership', () => {
  const keys = generateTestMessageKeys().env('expiry-scheduler');
  const auth = messageAuthentication(messageKeys(keys));
  let db: TestDatabase;
  let dataSource: DataSource;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openServiceDataSource({ url: db.url, schema: 'svc', migrations: messagingMigrations });
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await dataSource.destroy();
    await db.drop();
  });

  /** A consumer in its own process; `lines` collects what it printed, with the time it arrived. */
  function consumerProcess(brokers: string, group: string) {
    const lines: { line: string; at: number }[] = [];
    const child = spawn(process.execPath, [join(root, 'tools', 'run-ts.js'), join(__dirname, 'consumer-process.fixture.ts')], {
      cwd: root,
      env: { ...process.env, ...keys, DATABASE_URL: db.url, DATABASE_SCHEMA: 'svc', KAFKA_BROKERS: brokers, GROUP: group, TOPIC },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) lines.push({ line, at: Date.now() });
    });
    const seen = (line: string) => lines.find((l) => l.line === line)?.at;
    return { child, lines, seen, waitFor: (line: string, timeoutMs = 60_000) => until(`"${line}" from the consumer`, () => seen(line), timeoutMs) };
  }

  describe('on a broker', () => {
    let broker: Awaited<ReturnType<typeof startTestKafka>>;
    let publisher: MessagePublisher;

    beforeAll(async () => {
      broker = await startTestKafka();
      await createTestTopics(broker.brokers, ['killed-member', 'leaving-member']);
      publisher = new MessagePublisher(bindMessageAuthentication(new Kafka({ clientId: 'publisher', brokers: broker.brokers, logLevel: logLevel.NOTHING }), auth), contractSchemas);
    });

    afterAll(async () => {
      await publisher.disconnect();
      await broker.close();
    });

    it('consumes again within a few seconds after its predecessor was killed with kill -9 (no 30 s wait for the dead member)', async () => {
      const first = consumerProcess(broker.brokers[0]!, 'killed-member');
      await first.waitFor('joined');
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      await publisher.publish([timerFired('after-kill')]);
      const second = consumerProcess(broker.brokers[0]!, 'killed-member');
      const started = await second.waitFor('started');
      const handled = await second.waitFor('handled after-kill', 30_000);
      // The dead member is dropped when its short session runs out; then the join completes.
      expect(handled - started).toBeLessThan(CONSUMER_SESSION_TIMEOUT_MS + 4_000);
      second.child.kill('SIGKILL');
    }, 120_000);

    it('leaves the group on SIGTERM: its successor joins at once, without waiting out a session', async () => {
      const first = consumerProcess(broker.brokers[0]!, 'leaving-member');
      await first.waitFor('joined');
      first.child.kill('SIGTERM');
      const code = await new Promise((r) => first.child.once('exit', r));
      expect(code).toBe(0);
      const second = consumerProcess(broker.brokers[0]!, 'leaving-member');
      const started = await second.waitFor('started');
      const joined = await second.waitFor('joined');
      expect(joined - started).toBeLessThan(CONSUMER_SESSION_TIMEOUT_MS / 2);
      second.child.kill('SIGKILL');
    }, 120_000);
  });

  it('start() returns while the broker is down (the service listens at once) and readiness says not ready until the consumer joined', async () => {
    const port = await freePort();
    const probes = new Map<string, () => Promise<void>>();
    const kafka = bindMessageAuthentication(new Kafka({ clientId: 'early', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 } }), auth);
    const handled: string[] = [];
    const runtime = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: 'early-listener',
      topics: [TOPIC],
      outbox: false,
      readiness: { register: (name, probe) => void probes.set(name, probe) },
      log: { warn: () => undefined, error: () => undefined },
      handle: async (message) => void handled.push(message.id),
    });
    const t0 = Date.now();
    await runtime.start();
    expect(Date.now() - t0).toBeLessThan(1_000);
    const probe = probes.get('kafka-consumer:early-listener')!;
    await expect(probe()).rejects.toThrow(/not in its group/);
    const dataDir = mkdtempSync(join(tmpdir(), 'kafka-late-'));
    const broker = await startTestKafka({ port, dataDir });
    await createTestTopics(broker.brokers, ['early-listener']);
    try {
      await until('the consumer ready once the broker is there', () => probe().then(() => true, () => false), 60_000);
      const publisher = new MessagePublisher(bindMessageAuthentication(new Kafka({ clientId: 'p', brokers: broker.brokers, logLevel: logLevel.NOTHING }), auth), contractSchemas);
      await publisher.publish([timerFired('late-broker')]);
      await publisher.disconnect();
      await until('consumed', () => handled.includes('late-broker'), 10_000);
    } finally {
      await runtime.stop();
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('after a broker restart, readiness says ready only once the consumer consumes again', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'kafka-restart-'));
    let broker = await startTestKafka({ port, dataDir });
    await createTestTopics(broker.brokers, ['broker-restart']);
    const probes = new Map<string, () => Promise<void>>();
    const kafka = bindMessageAuthentication(new Kafka({ clientId: 'restart', brokers: broker.brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } }), auth);
    const handled: string[] = [];
    const runtime = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: 'broker-restart',
      topics: [TOPIC],
      outbox: false,
      readiness: { register: (name, probe) => void probes.set(name, probe) },
      log: { warn: () => undefined, error: () => undefined },
      handle: async (message) => void handled.push(message.id),
    });
    await runtime.start();
    const probe = probes.get('kafka-consumer:broker-restart')!;
    const ready = () => probe().then(() => true, () => false);
    try {
      await until('ready before the restart', ready, 30_000);
      await broker.close();
      await until('not ready while the broker is down', async () => !(await ready()), CONSUMER_SESSION_TIMEOUT_MS + 5_000);
      broker = await startTestKafka({ port, dataDir });
      // Not ready the moment the broker answers: the consumer has not rejoined yet.
      expect(await ready()).toBe(false);
      await until('ready after the restart', ready, 60_000);
      // Ready means consuming: a message published now is handled promptly.
      const publisher = new MessagePublisher(bindMessageAuthentication(new Kafka({ clientId: 'p2', brokers: broker.brokers, logLevel: logLevel.NOTHING }), auth), contractSchemas);
      const readyAt = Date.now();
      await publisher.publish([timerFired('after-restart')]);
      await publisher.disconnect();
      await until('consumed after the restart', () => handled.includes('after-restart'), 10_000);
      expect(Date.now() - readyAt).toBeLessThan(3_000);
    } finally {
      await runtime.stop();
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
