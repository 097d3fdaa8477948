import { Writer } from '../src/protocol/encoding';
import { eventually, kafkaClient, startTestBroker, uniqueTopic } from './helpers';
import { RawClient, produceBody, readProduceResponse, recordBatch } from './raw-client';

describe('the idempotent producer', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let client: RawClient;
  const topic = uniqueTopic('idem');

  beforeAll(async () => {
    broker = await startTestBroker();
    const admin = kafkaClient(broker.brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    client = await RawClient.connect(broker.port);
  });
  afterAll(async () => {
    client.close();
    await broker.close();
  });

  async function initProducerId(): Promise<number> {
    const r = await client.request(22, 1, new Writer().string(null).int32(60_000));
    r.int32();
    expect(r.int16()).toBe(0);
    return r.int64();
  }

  async function produce(batch: Buffer) {
    return readProduceResponse(await client.request(0, 7, produceBody(topic, 0, batch)));
  }

  it('answers a retried batch with its first offset without appending it again', async () => {
    const pid = await initProducerId();
    expect(await produce(recordBatch({ values: ['a', 'b', 'c'], producerId: pid, baseSequence: 0 }))).toEqual({ error: 0, baseOffset: 0 });
    expect(await produce(recordBatch({ values: ['d'], producerId: pid, baseSequence: 3 }))).toEqual({ error: 0, baseOffset: 3 });
    expect(await produce(recordBatch({ values: ['a', 'b', 'c'], producerId: pid, baseSequence: 0 }))).toEqual({ error: 0, baseOffset: 0 });
    expect(await produce(recordBatch({ values: ['e'], producerId: pid, baseSequence: 4 }))).toEqual({ error: 0, baseOffset: 4 });
  });

  it('rejects gaps and reordering with OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    const pid = await initProducerId();
    expect((await produce(recordBatch({ values: ['x', 'y', 'z'], producerId: pid, baseSequence: 0 }))).error).toBe(0);
    expect((await produce(recordBatch({ values: ['late'], producerId: pid, baseSequence: 1 }))).error).toBe(45);
    expect((await produce(recordBatch({ values: ['gap'], producerId: pid, baseSequence: 5 }))).error).toBe(45);
    expect((await produce(recordBatch({ values: ['next'], producerId: pid, baseSequence: 3 }))).error).toBe(0);
  });

  it('does not know a producer that starts mid-sequence', async () => {
    expect((await produce(recordBatch({ values: ['?'], producerId: 987654, baseSequence: 7 }))).error).toBe(59);
  });

  it('answers a transactional InitProducerId with UNSUPPORTED_VERSION, not an authorization failure', async () => {
    const r = await client.request(22, 1, new Writer().string('txn-1').int32(60_000));
    r.int32();
    expect(r.int16()).toBe(35);
  });

  it('lets kafkajs produce idempotently and reads every message exactly once', async () => {
    const kafka = kafkaClient(broker.brokers);
    const t = uniqueTopic('idem-kafkajs');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 20; i++) await producer.send({ topic: t, messages: [{ key: String(i % 3), value: `v${i}` }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueTopic('idem-g'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: t, fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await eventually(() => seen.length >= 20, 30_000, '20 messages');
    await consumer.disconnect();
    expect(seen.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort());
  });
});
