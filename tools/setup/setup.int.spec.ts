import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { KAIROS_TOPICS } from '@kairos/messaging';
import { createTestDatabase, startTestKafka, type TestDatabase } from '@kairos/testing';
import { migratingServices, runSetup } from './setup';

describe('kairos setup', () => {
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let db: TestDatabase;
  let kafka: Kafka;
  beforeAll(async () => {
    broker = await startTestKafka({ numPartitions: 1 });
    db = await createTestDatabase();
    kafka = new Kafka({ clientId: 'setup-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  });
  afterAll(async () => {
    await broker.close();
    await db.drop();
  });

  it('creates every topic and dead-letter topic with its partitions, retention and cleanup policy, and migrates every service', async () => {
    const report = await runSetup({ kafka, replicationFactor: 1, databaseUrl: db.url });
    expect(report.topicsCreated.sort()).toEqual(KAIROS_TOPICS.map((t) => t.topic).sort());
    expect(KAIROS_TOPICS.map((t) => t.topic)).toEqual(expect.arrayContaining(['access-request.events', 'request-service.dlq', 'provisioning-connector.dlq']));
    const admin = kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: KAIROS_TOPICS.map((t) => t.topic) });
      for (const spec of KAIROS_TOPICS) expect({ topic: spec.topic, partitions: metadata.topics.find((t) => t.name === spec.topic)?.partitions.length }).toEqual({ topic: spec.topic, partitions: spec.partitions });
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: KAIROS_TOPICS.map((t) => ({ type: 2, name: t.topic })) });
      for (const spec of KAIROS_TOPICS) {
        const entries = configs.resources.find((r) => r.resourceName === spec.topic)!.configEntries;
        expect(entries.find((e) => e.configName === 'retention.ms')?.configValue).toBe(String(spec.retentionMs));
        expect(entries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe(spec.cleanupPolicy);
      }
    } finally {
      await admin.disconnect();
    }
    expect(report.migrated.map((m) => m.service)).toEqual(migratingServices());
    expect(migratingServices()).toEqual(expect.arrayContaining(['request-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector', 'approval-policy-service']));
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      for (const m of report.migrated) {
        expect(m.applied).toBeGreaterThan(0);
        const { rows } = await pg.query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [m.schema, 'migrations']);
        expect(rows[0]).toEqual({ n: 1 });
      }
    } finally {
      await pg.end();
    }
  });

  it('runs again without changing anything, and brings a tampered retention back', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'access-request.events', configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
      const report = await runSetup({ kafka, replicationFactor: 1, databaseUrl: db.url });
      expect(report.topicsCreated).toEqual([]);
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'access-request.events' }] });
      const spec = KAIROS_TOPICS.find((t) => t.topic === 'access-request.events')!;
      expect(configs.resources[0]!.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe(String(spec.retentionMs));
    } finally {
      await admin.disconnect();
    }
  });
});
