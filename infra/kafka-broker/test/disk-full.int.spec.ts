import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { eventually, startTestBroker, tempDir, uniqueTopic } from './helpers';

/**
 * A full disk: the broker refuses writes with KAFKA_STORAGE_ERROR (retriable), never closes the
 * connection or dies, goes on as soon as there is room, and loses nothing it acknowledged — also
 * across a restart. On a 4 MiB tmpfs the test mounts (as root; CI runs as root).
 */
describe('kafka-broker on a full disk', () => {
  const mountpoint = tempDir('disk-full');
  const dataDir = join(mountpoint, 'data');
  const filler = join(mountpoint, 'filler');

  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountpoint]);
    mkdirSync(dataDir);
  });

  afterAll(() => {
    execFileSync('umount', ['-l', mountpoint]);
    rmSync(mountpoint, { recursive: true, force: true });
  });

  const fill = () => {
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      // "No space left on device" is the point
    }
  };

  it('refuses produce with KAFKA_STORAGE_ERROR while the disk is full, goes on when it has room, and keeps every acknowledged message', async () => {
    let broker = await startTestBroker({ dataDir, numPartitions: 1, initialRebalanceDelayMs: 0 });
    const port = broker.port;
    const topic = uniqueTopic('full');
    // No retries: the test sees the refusal itself.
    const kafka = new Kafka({ clientId: 'disk-full', brokers: broker.brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const acknowledged: string[] = [];
    const send = async (value: string) => {
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
      acknowledged.push(value);
    };
    for (let i = 0; i < 20; i++) await send(`before-${i}-${'x'.repeat(1_000)}`);

    fill();
    const refusal = await send(`during-${'y'.repeat(8_000)}`).then(
      () => 'accepted',
      (error: Error & { type?: string; cause?: { type?: string } }) => error.type ?? error.cause?.type ?? error.message,
    );
    expect(refusal).toBe('KAFKA_STORAGE_ERROR');
    // The same connection still answers (metadata), the broker did not die.
    await expect(producer.send({ topic, acks: -1, messages: [{ value: 'z'.repeat(8_000) }] })).rejects.toThrow(/disk/i);

    rmSync(filler);
    for (let i = 0; i < 5; i++) await send(`after-${i}`);

    const readAll = async (brokers: string[]) => {
      const reader = new Kafka({ clientId: 'reader', brokers, logLevel: logLevel.NOTHING });
      const consumer = reader.consumer({ groupId: `reader-${Date.now()}` });
      const seen: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await eventually(() => seen.length >= acknowledged.length, 30_000, 'every acknowledged message read');
      await consumer.disconnect();
      return seen;
    };
    expect(await readAll(broker.brokers)).toEqual(acknowledged);
    await producer.disconnect();

    await broker.close();
    broker = await startTestBroker({ dataDir, port, numPartitions: 1, initialRebalanceDelayMs: 0 });
    try {
      expect(await readAll(broker.brokers)).toEqual(acknowledged);
    } finally {
      await broker.close();
    }
    writeFileSync(join(mountpoint, 'done'), 'ok');
  }, 120_000);
});
