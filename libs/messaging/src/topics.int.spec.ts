import { Kafka, logLevel } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { messageKeys } from '@kairos/config';
import { openServiceDataSource } from '@kairos/persistence';
import { createTestDatabase, messageKeysEnv, startTestKafka, type TestDatabase } from '@kairos/testing';
import { bindMessageAuthentication, messageAuthentication } from './authentication';
import { MessagingRuntime } from './messaging-runtime';
import { messagingMigrations } from './migrations';
import { MessagePublisher } from './publisher';
import { contractSchemas } from './schemas';
import { ensureKairosTopics, KAIROS_TOPICS } from './topics';

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Topics exist because `kairos setup` (ensureKairosTopics) made them, never because a service touched them. */
describe('Kafka topics are created by setup only', () => {
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let db: TestDatabase;
  let dataSource: DataSource;
  let kafka: Kafka;
  beforeAll(async () => {
    // The test broker would create a topic on request (auto-create on): only the clients' refusal stops it.
    broker = await startTestKafka();
    db = await createTestDatabase();
    dataSource = await openServiceDataSource({ url: db.url, schema: 'svc', migrations: messagingMigrations });
    kafka = bindMessageAuthentication(new Kafka({ clientId: 'topics', brokers: broker.brokers, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 } }), messageAuthentication(messageKeys(messageKeysEnv('expiry-scheduler'))));
  }, 120_000);
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
    await broker?.close();
  }, 60_000);

  const listTopics = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await admin.listTopics();
    } finally {
      await admin.disconnect();
    }
  };

  it('a service started before setup is not ready and names the missing topic; publishing creates nothing; after setup it consumes', async () => {
    const probes = new Map<string, () => Promise<void>>();
    const warnings: string[] = [];
    const runtime = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: 'expiry-scheduler',
      topics: [TOPICS.accessRequestEvents],
      log: { warn: (msg, fields) => warnings.push(`${msg} ${String(fields?.error)}`), error: () => undefined },
      handle: async () => undefined,
      readiness: { register: (name, probe) => void probes.set(name, probe) },
    });
    const publisher = new MessagePublisher(kafka, contractSchemas);
    try {
      await runtime.start();
      const probe = probes.get('kafka-consumer:expiry-scheduler')!;
      await expect(probe()).rejects.toThrow('topics access-request.events, expiry-scheduler.dlq missing on the Kafka cluster (needed by expiry-scheduler): run `kairos setup` first');
      // The consumer's own retries log the same plain reason, not kafkajs's "does not host this topic-partition".
      await until('a warning naming the topic', async () => warnings.find((w) => w.includes('access-request.events, expiry-scheduler.dlq missing on the Kafka cluster')), 30_000).catch((error: Error) => {
        throw new Error(`${error.message}; warnings: ${JSON.stringify(warnings)}`);
      });

      const fired = {
        topic: TOPICS.expiryEvents,
        key: 'r1',
        id: 'm1',
        type: 'TimerFired',
        subject: 'r1',
        time: '2026-11-24T10:00:00.000Z',
        source: 'urn:kairos:expiry-scheduler',
        data: { timerId: 't1', requestId: 'r1', itemId: 'i1', kind: 'access_expiry', dueAt: '2026-11-24T10:00:00.000Z', firedAt: '2026-11-24T10:00:00.100Z' },
      };
      await expect(publisher.publish([fired])).rejects.toThrow();
      expect(await listTopics()).toEqual([]);

      const report = await ensureKairosTopics(broker.brokers);
      expect(report.created.sort()).toEqual(KAIROS_TOPICS.map((t) => t.topic).sort());
      expect((await listTopics()).sort()).toEqual(KAIROS_TOPICS.map((t) => t.topic).sort());
      await until('ready once the topics exist', () => probe().then(() => true, () => undefined));
      await publisher.publish([fired]);
      // Setup again changes nothing.
      expect((await ensureKairosTopics(broker.brokers)).created).toEqual([]);
    } finally {
      await runtime.stop();
      await publisher.disconnect();
    }
  }, 240_000);
});
