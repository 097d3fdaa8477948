import { kafkaClient, tempDir, uniqueTopic } from './helpers';
import { freePort, spawnBroker, waitForExit } from './broker-process';

describe('when the broker process is killed with SIGKILL', () => {
  it('keeps acknowledged messages and committed offsets, and continues the offsets', async () => {
    const dataDir = tempDir('kill9');
    const port = await freePort();
    const topic = uniqueTopic('durable');
    const groupId = 'durable-group';

    const first = await spawnBroker(port, ['--data', dataDir]);
    expect(first.readyLine).toContain(`localhost:${port}`);
    let kafka = kafkaClient(first.brokers);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ key: `k${j}`, value: `m${i * 10 + j}`, partition: j % 2 })) });
    }
    await producer.disconnect();
    const admin2 = kafka.admin();
    await admin2.connect();
    await admin2.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '30' }, { partition: 1, offset: '20' }] });
    await admin2.disconnect();

    first.child.kill('SIGKILL');
    expect((await waitForExit(first.child)).signal).toBe('SIGKILL');

    const second = await spawnBroker(port, ['--data', dataDir]);
    try {
      kafka = kafkaClient(second.brokers);
      const admin3 = kafka.admin();
      await admin3.connect();
      expect(await admin3.fetchTopicOffsets(topic)).toEqual(
        expect.arrayContaining([
          { partition: 0, offset: '50', high: '50', low: '0' },
          { partition: 1, offset: '50', high: '50', low: '0' },
        ]),
      );
      const committed = await admin3.fetchOffsets({ groupId, topics: [topic] });
      expect(committed[0].partitions.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, offset: '30', metadata: null },
        { partition: 1, offset: '20', metadata: null },
      ]);
      await admin3.disconnect();

      const producer2 = kafka.producer();
      await producer2.connect();
      const [ack] = await producer2.send({ topic, acks: -1, messages: [{ value: 'after-restart', partition: 0 }] });
      expect(ack.baseOffset).toBe('50');
      await producer2.disconnect();

      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic });
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(String(message.value));
            if (seen.length === 51) resolve();
          },
        });
      });
      await consumer.disconnect();
      expect(seen).toContain('after-restart');
      expect(new Set(seen).size).toBe(51);
    } finally {
      second.child.kill('SIGTERM');
      expect((await waitForExit(second.child)).code).toBe(0);
    }
  });
});
