import { CompressionTypes, Kafka } from 'kafkajs';
import { eventually, kafkaClient, startTestBroker, uniqueTopic } from './helpers';

describe('kafkajs against the broker', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startTestBroker({ numPartitions: 2 });
    kafka = kafkaClient(broker.brokers);
  });
  afterAll(() => broker.close());

  it('describes a one-node cluster that is its own controller', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.controller).toBe(0);
    expect(cluster.brokers).toEqual([{ nodeId: 0, host: 'localhost', port: broker.port }]);
  });

  it('creates, lists and deletes topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const topic = uniqueTopic('admin');
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0].partitions).toHaveLength(3);
    expect(await admin.listTopics()).toContain(topic);
    await admin.deleteTopics({ topics: [topic] });
    expect(await admin.listTopics()).not.toContain(topic);
    await admin.disconnect();
  });

  it('round-trips keys, headers and gzip through a consumer group', async () => {
    const topic = uniqueTopic('roundtrip');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      compression: CompressionTypes.GZIP,
      messages: [
        { key: 'k1', value: 'v1', headers: { trace: 'abc', dup: ['1', '2'] } },
        { key: null, value: 'no-key', partition: 1 },
      ],
    });
    await producer.send({ topic, acks: 1, messages: [{ key: 'k2', value: 'plain', partition: 0 }] });

    const consumer = kafka.consumer({ groupId: uniqueTopic('group'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: Array<{ key: string | null; value: string; headers: Record<string, unknown> }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers: message.headers ?? {} });
      },
    });
    await eventually(() => seen.length === 3, 30_000, 'three messages');
    await consumer.disconnect();
    await producer.disconnect();

    const byValue = Object.fromEntries(seen.map((m) => [m.value, m]));
    expect(byValue.v1.key).toBe('k1');
    expect(String(byValue.v1.headers.trace)).toBe('abc');
    expect((byValue.v1.headers.dup as Buffer[]).map(String)).toEqual(['1', '2']);
    expect(byValue['no-key'].key).toBeNull();
    expect(byValue.plain.key).toBe('k2');
  });

  it('wakes a waiting consumer as soon as a message arrives (long poll)', async () => {
    const topic = uniqueTopic('longpoll');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueTopic('lp'), maxWaitTimeInMs: 20_000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: string[] = [];
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) });
    await eventually(() => joined, 20_000, 'join');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'wake' }] });
    // Well under the 20 s max wait: the parked fetch must be answered by the produce.
    await eventually(() => got.length === 1, 10_000, 'message');
    await producer.disconnect();
    await consumer.disconnect();
  });

  it('commits and fetches offsets, and lists offsets by time', async () => {
    const topic = uniqueTopic('offsets');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'a', timestamp: '1000' }, { value: 'b', timestamp: '2000' }] });
    await producer.send({ topic, messages: [{ value: 'c', timestamp: '3000' }] });
    await producer.disconnect();

    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '3', high: '3', low: '0' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, 1500)).toEqual([{ partition: 0, offset: '1' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, 2500)).toEqual([{ partition: 0, offset: '2' }]);

    const groupId = uniqueTopic('admin-group');
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] });
    const fetched = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(fetched[0].partitions).toEqual([{ partition: 0, offset: '2', metadata: null }]);
    const groups = await admin.listGroups();
    expect(groups.groups.map((g) => g.groupId)).toContain(groupId);
    const described = await admin.describeGroups(['no-such-group']);
    expect(described.groups[0]).toMatchObject({ groupId: 'no-such-group', state: 'Dead', protocolType: '', members: [] });
    await admin.disconnect();
  });

  it('refuses illegal topic names', async () => {
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    await expect(producer.send({ topic: 'bad topic!', messages: [{ value: 'x' }] })).rejects.toThrow();
    await producer.disconnect();
  });
});
