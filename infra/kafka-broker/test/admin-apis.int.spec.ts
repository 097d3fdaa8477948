import { Kafka } from 'kafkajs';
import { Reader, Writer } from '../src/protocol/encoding';
import { eventually, kafkaClient, startTestBroker, uniqueTopic } from './helpers';
import { RawClient } from './raw-client';

type Broker = Awaited<ReturnType<typeof startTestBroker>>;

async function errorType(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return brokerType(err) ?? String(err);
  }
  throw new Error('expected a refusal');
}

/** The broker's error type somewhere inside a kafkajs error (they nest it in cause, errors, groups, partitions). */
function brokerType(e: unknown): string | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  const o = e as Record<string, unknown>;
  if (typeof o.type === 'string') return o.type;
  for (const key of ['cause', 'error', 'errors', 'groups', 'partitions']) {
    const inner = o[key];
    for (const item of Array.isArray(inner) ? inner : [inner]) {
      const found = brokerType(item);
      if (found) return found;
    }
  }
  return undefined;
}

describe('admin APIs kafkajs and operators use', () => {
  let broker: Broker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startTestBroker();
    kafka = kafkaClient(broker.brokers);
  });
  afterAll(() => broker.close());

  async function withAdmin<T>(fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  it('advertises the admin, SASL and ACL APIs with the versions it serves, and no transaction APIs', async () => {
    const client = await RawClient.connect(broker.port);
    const r = await client.request(18, 2, new Writer());
    expect(r.int16()).toBe(0);
    const keys = new Map(r.array((r) => [r.int16(), [r.int16(), r.int16()]] as const));
    client.close();
    expect(Object.fromEntries([2, 17, 21, 29, 30, 31, 32, 33, 36, 37, 42, 44].map((k) => [k, keys.get(k)]))).toEqual({
      2: [0, 5],
      17: [0, 1],
      21: [0, 1],
      29: [0, 1],
      30: [0, 1],
      31: [0, 1],
      32: [0, 2],
      33: [0, 1],
      36: [0, 1],
      37: [0, 1],
      42: [0, 1],
      44: [0, 0],
    });
    for (const txn of [24, 25, 26, 28]) expect(keys.has(txn)).toBe(false);
  });

  it('adds partitions with CreatePartitions and refuses to shrink with INVALID_PARTITIONS', async () => {
    const topic = uniqueTopic('grow');
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      expect(await errorType(admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }))).toBe('INVALID_PARTITIONS');
    });
    const producer = kafka.producer();
    await producer.connect();
    const [ack] = await producer.send({ topic, messages: [{ value: 'on the new partition', partition: 2 }] });
    await producer.disconnect();
    expect(ack).toMatchObject({ partition: 2, errorCode: 0, baseOffset: '0' });
    // The new count survives a restart.
    const dataDir = broker.dataDir;
    await broker.close();
    broker = await startTestBroker({ dataDir });
    kafka = kafkaClient(broker.brokers);
    const meta = await withAdmin((admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    expect(meta.topics[0].partitions).toHaveLength(3);
  });

  it('deletes an empty group and its offsets, refuses a group with members (NON_EMPTY_GROUP) and an unknown one (GROUP_ID_NOT_FOUND)', async () => {
    const topic = uniqueTopic('groups');
    const groupId = uniqueTopic('doomed');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'one' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    await eventually(() => seen === 1, 20_000, 'one message');
    await withAdmin(async (admin) => {
      await eventually(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions[0].offset === '1', 10_000, 'commit');
      expect(await errorType(admin.deleteGroups([groupId]))).toBe('NON_EMPTY_GROUP');
    });
    await consumer.disconnect();
    await withAdmin(async (admin) => {
      const [deleted] = await admin.deleteGroups([groupId]);
      expect(deleted).toMatchObject({ groupId, errorCode: 0 });
      expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions[0].offset).toBe('-1');
      expect(await errorType(admin.deleteGroups([uniqueTopic('never-was')]))).toBe('GROUP_ID_NOT_FOUND');
    });
  });

  it('moves the low watermark with DeleteRecords, refuses an offset past the high watermark, and keeps it across a restart', async () => {
    const topic = uniqueTopic('trimmed');
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 5; i++) await producer.send({ topic, messages: [{ value: `r${i}` }] });
    await producer.disconnect();
    await withAdmin(async (admin) => {
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] });
      expect((await admin.fetchTopicOffsets(topic))[0]).toMatchObject({ low: '3', high: '5' });
      expect(await errorType(admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '9' }] }))).toContain('OFFSET_OUT_OF_RANGE');
    });
    const dataDir = broker.dataDir;
    await broker.close();
    broker = await startTestBroker({ dataDir });
    kafka = kafkaClient(broker.brokers);
    expect((await withAdmin((admin) => admin.fetchTopicOffsets(topic)))[0]).toMatchObject({ low: '3', high: '5' });
    const consumer = kafka.consumer({ groupId: uniqueTopic('after-trim'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) });
    await eventually(() => values.length >= 2, 20_000, 'the two kept records');
    await consumer.disconnect();
    expect(values).toEqual(['r3', 'r4']);
  });

  it('returns "" from OffsetFetch for an offset committed with null metadata, as Kafka does', async () => {
    const topic = uniqueTopic('meta');
    const groupId = uniqueTopic('meta-g');
    await withAdmin((admin) => admin.createTopics({ topics: [{ topic }] }));
    // kafkajs commits with a null metadata.
    await withAdmin((admin) => admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] }));
    const client = await RawClient.connect(broker.port);
    const r = await client.request(9, 4, new Writer().string(groupId).array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p))));
    client.close();
    r.int32();
    const [t] = r.array((r: Reader) => ({ name: r.string(), partitions: r.array((r) => ({ partition: r.int32(), offset: r.int64(), metadata: r.nullableString(), error: r.int16() })) }));
    expect(t.partitions).toEqual([{ partition: 0, offset: 0, metadata: '', error: 0 }]);
  });

  it('serves ListOffsets v0 (it used to close the connection): latest with segment bases, earliest', async () => {
    const topic = uniqueTopic('v0');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await producer.disconnect();
    const client = await RawClient.connect(broker.port);
    const ask = async (timestamp: number, max: number) => {
      const r = await client.request(2, 0, new Writer().int32(-1).array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(timestamp).int32(max))));
      const [res] = r.array((r: Reader) => ({ name: r.string(), partitions: r.array((r) => ({ partition: r.int32(), error: r.int16(), offsets: r.array((r) => r.int64()) })) }));
      return res.partitions[0];
    };
    expect(await ask(-1, 10)).toEqual({ partition: 0, error: 0, offsets: [3, 0] });
    expect(await ask(-1, 1)).toEqual({ partition: 0, error: 0, offsets: [3] });
    expect(await ask(-2, 1)).toEqual({ partition: 0, error: 0, offsets: [0] });
    expect(client.closed).toBe(false);
    client.close();
  });

  it('answers a kafkajs transactional producer with a clear "not supported" error, not an authorization failure', async () => {
    const producer = kafka.producer({ transactionalId: uniqueTopic('txn'), idempotent: true, maxInFlightRequests: 1, retry: { retries: 1, initialRetryTime: 50 } });
    await producer.connect();
    // kafkajs asks for a transactional producer id when the first transaction starts.
    const type = await errorType(producer.transaction());
    await producer.disconnect().catch(() => undefined);
    expect(type).toBe('UNSUPPORTED_VERSION');
    expect(type).not.toContain('AUTHORIZATION');
  });
});
