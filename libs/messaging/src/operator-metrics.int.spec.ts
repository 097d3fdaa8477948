import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { messageKeys } from '@kairos/config';
import { metricSamples, ServiceMetrics } from '@kairos/observability';
import { openServiceDataSource } from '@kairos/persistence';
import { createTestDatabase, freePort, messageKeysEnv, startTestKafka, type TestDatabase } from '@kairos/testing';
import { bindMessageAuthentication, messageAuthentication } from './authentication';
import type { OutgoingMessage } from './envelope';
import { MessagingRuntime } from './messaging-runtime';
import { messagingMigrations } from './migrations';
import { enqueueOutbox } from './outbox';
import { MessagePublisher } from './publisher';
import { contractSchemas } from './schemas';

const TOPIC = 'expiry.events';

const timerFired = (id: string): OutgoingMessage => ({
  topic: TOPIC,
  key: `request-${id}`,
  id,
  type: 'TimerFired',
  subject: `request-${id}`,
  time: '2026-11-24T10:00:00.000Z',
  source: 'urn:kairos:expiry-scheduler',
  data: { timerId: `t-${id}`, requestId: `request-${id}`, itemId: 'i1', kind: 'access_expiry', dueAt: '2026-11-24T10:00:00.000Z', firedAt: '2026-11-24T10:00:00.100Z' },
});

const samples = metricSamples;
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('operator metrics of the messaging runtime (scraped from the service registry)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const auth = messageAuthentication(messageKeys(messageKeysEnv('expiry-scheduler')));

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openServiceDataSource({ url: db.url, schema: 'svc', migrations: messagingMigrations });
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('consumer lag per partition rises while the group is away and falls once it consumed; outbox depth and relay lag rise while Kafka is down and fall after', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'kafka-metrics-'));
    let broker = await startTestKafka({ port, dataDir });
    const kafka = bindMessageAuthentication(new Kafka({ clientId: 'metrics', brokers: broker.brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } }), auth);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 2 }] });
    await admin.disconnect();
    const publisher = new MessagePublisher(kafka, contractSchemas);
    const metrics = new ServiceMetrics('metrics-test');
    const handled: string[] = [];
    const runtime = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: 'metrics-group',
      topics: [TOPIC],
      metrics,
      log: { warn: () => undefined, error: () => undefined },
      handle: async (message) => void handled.push(message.id),
      readiness: { register: () => undefined },
    });
    const scrape = async (name: string) => samples(await metrics.registry.metrics(), name);
    try {
      // Five records while the group has never consumed: lag is the whole of each partition.
      await publisher.publish(['a', 'b', 'c', 'd', 'e'].map(timerFired));
      const before = await scrape('kairos_consumer_lag_messages');
      expect(sum(before)).toBe(5);
      expect([...before.keys()].every((labels) => labels.includes('group="metrics-group"') && labels.includes('topic="expiry.events"'))).toBe(true);
      expect(before.size).toBe(2); // one series per partition
      expect(await scrape('kairos_outbox_depth')).toEqual(new Map([['{service="metrics-test"}', 0]]));

      await runtime.start();
      await until('consumed', async () => handled.length >= 5);
      await until('consumer lag back to 0', async () => sum(await scrape('kairos_consumer_lag_messages')) === 0);

      // Kafka down: what the service commits piles up in the outbox, and the oldest row ages.
      await broker.close();
      await dataSource.transaction((tx) => enqueueOutbox(tx, ['f', 'g', 'h'].map(timerFired)));
      runtime.notifyOutbox();
      await until('outbox depth 3', async () => sum(await scrape('kairos_outbox_depth')) === 3);
      await until('relay lag above 1 s', async () => sum(await scrape('kairos_outbox_oldest_age_seconds')) > 1);

      // Back: the relay drains it, both fall to 0, and the consumer catches up again.
      broker = await startTestKafka({ port, dataDir });
      runtime.notifyOutbox();
      await until('outbox drained', async () => sum(await scrape('kairos_outbox_depth')) === 0, 120_000);
      expect(sum(await scrape('kairos_outbox_oldest_age_seconds'))).toBe(0);
      await until('relayed messages consumed', async () => ['f', 'g', 'h'].every((id) => handled.includes(id)), 120_000);
      await until('consumer lag back to 0 after the restart', async () => sum(await scrape('kairos_consumer_lag_messages')) === 0, 60_000);
    } finally {
      await runtime.stop();
      await publisher.disconnect();
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
