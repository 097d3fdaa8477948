import { Kafka, logLevel } from 'kafkajs';
import { ensureKairosTopics } from './topics';

/**
 * For this library's own tests: Kairos's topics (as `kairos setup` makes them) plus the dead-letter
 * topics of the tests' own consumer groups. Nothing creates a topic on use any more.
 */
export async function createTestTopics(brokers: readonly string[], groups: readonly string[] = [], extra: readonly string[] = []): Promise<void> {
  await ensureKairosTopics(brokers);
  const admin = new Kafka({ clientId: 'test-topics', brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [...groups.map((g) => `${g}.dlq`), ...extra].filter((t, i, all) => !existing.has(t) && all.indexOf(t) === i);
    if (wanted.length > 0) await admin.createTopics({ waitForLeaders: true, topics: wanted.map((topic) => ({ topic, numPartitions: 1 })) });
  } finally {
    await admin.disconnect();
  }
}
