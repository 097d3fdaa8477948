import { ConfigResourceTypes, Kafka } from 'kafkajs';
import { Reader, Writer } from '../src/protocol/encoding';
import { eventually, kafkaClient, startTestBroker, uniqueTopic } from './helpers';
import { RawClient } from './raw-client';

type Broker = Awaited<ReturnType<typeof startTestBroker>>;

/** Errors kafkajs raises carry the broker's error type (possibly inside an aggregate). */
async function brokerError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { type?: string; errors?: Array<{ type?: string }>; cause?: { type?: string } };
    return e.type ?? e.errors?.[0]?.type ?? e.cause?.type ?? String(err);
  }
  throw new Error('expected the broker to refuse');
}

async function fetchAt(port: number, topic: string, offset: number): Promise<{ error: number; logStartOffset: number; records: number }> {
  const client = await RawClient.connect(port);
  const body = new Writer()
    .int32(-1)
    .int32(0)
    .int32(0)
    .int32(1 << 20)
    .int8(0)
    .int32(0)
    .int32(-1)
    .array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int32(-1).int64(offset).int64(-1).int32(1 << 20)))
    .array([], () => undefined)
    .string('');
  const r = await client.request(1, 11, body);
  client.close();
  r.int32();
  r.int16();
  r.int32();
  r.int32();
  r.string();
  r.int32();
  r.int32();
  const error = r.int16();
  r.int64();
  r.int64();
  const logStartOffset = r.int64();
  r.nullableArray((r) => [r.int64(), r.int64()]);
  r.int32();
  return { error, logStartOffset, records: r.bytes().length };
}

async function readAll(kafka: Kafka, topic: string, expected: number): Promise<Array<{ key: string | null; value: string | null; offset: number }>> {
  const consumer = kafka.consumer({ groupId: uniqueTopic('read-all'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: Array<{ key: string | null; value: string | null; offset: number }> = [];
  await consumer.run({
    eachMessage: async ({ message }) =>
      void seen.push({ key: message.key?.toString() ?? null, value: message.value === null ? null : message.value.toString(), offset: Number(message.offset) }),
  });
  await eventually(() => seen.length >= expected, 20_000, `${expected} messages from ${topic}`);
  await new Promise((r) => setTimeout(r, 300));
  await consumer.disconnect();
  return seen;
}

describe('topic configs', () => {
  let broker: Broker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startTestBroker({ retentionCheckMs: 100 });
    kafka = kafkaClient(broker.brokers);
  });
  afterAll(() => broker.close());

  async function create(topic: string, configEntries: Array<{ name: string; value: string }>, numPartitions = 1): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions, configEntries }] });
    } finally {
      await admin.disconnect();
    }
  }

  it('refuses an unknown config name or an invalid value with INVALID_CONFIG, and creates nothing', async () => {
    const cases: Array<{ name: string; value: string }> = [
      { name: 'retention.msec', value: '1000' },
      { name: 'retention.ms', value: 'a week' },
      { name: 'cleanup.policy', value: 'shred' },
      { name: 'max.message.bytes', value: '-5' },
      { name: 'min.insync.replicas', value: '0' },
      { name: 'segment.bytes', value: '99999999999' },
    ];
    for (const entry of cases) {
      const topic = uniqueTopic('bad-config');
      expect(await brokerError(create(topic, [entry]))).toBe('INVALID_CONFIG');
      const admin = kafka.admin();
      await admin.connect();
      expect(await admin.listTopics()).not.toContain(topic);
      await admin.disconnect();
    }
  });

  it('describes overrides as topic configs and the rest as defaults, and alters them', async () => {
    const topic = uniqueTopic('described');
    await create(topic, [{ name: 'retention.ms', value: '3600000' }]);
    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false });
    const entries = described.resources[0].configEntries;
    expect(entries.find((e) => e.configName === 'retention.ms')).toMatchObject({ configValue: '3600000', isDefault: false, configSource: 1 });
    expect(entries.find((e) => e.configName === 'cleanup.policy')).toMatchObject({ configValue: 'delete', isDefault: true });
    expect(entries.find((e) => e.configName === 'max.message.bytes')).toMatchObject({ configValue: '1000012' });

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const after = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: false });
    // AlterConfigs replaces the whole set, as in Kafka: retention.ms is back to its default.
    expect(Object.fromEntries(after.resources[0].configEntries.map((e) => [e.configName, e.configValue]))).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '-1' });

    expect(
      await brokerError(
        admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
      ),
    ).toBe('INVALID_CONFIG');
    const missing = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: uniqueTopic('nope') }], includeSynonyms: false }).catch((e: Error) => e);
    expect(String((missing as { type?: string }).type ?? missing)).toContain('UNKNOWN_TOPIC_OR_PARTITION');
    await admin.disconnect();
  });

  it('refuses a batch above max.message.bytes with MESSAGE_TOO_LARGE', async () => {
    const topic = uniqueTopic('small-messages');
    await create(topic, [{ name: 'max.message.bytes', value: '2000' }]);
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    expect(await brokerError(producer.send({ topic, messages: [{ value: 'x'.repeat(5000) }] }))).toBe('MESSAGE_TOO_LARGE');
    const [ok] = await producer.send({ topic, messages: [{ value: 'x'.repeat(500) }] });
    expect(ok.errorCode).toBe(0);
    await producer.disconnect();
  });

  it('applies the broker default max.message.bytes of 1000012 to topics without an override', async () => {
    const topic = uniqueTopic('default-limit');
    await create(topic, []);
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    expect(await brokerError(producer.send({ topic, messages: [{ value: Buffer.alloc(1_100_000, 'y') }] }))).toBe('MESSAGE_TOO_LARGE');
    await producer.disconnect();
  });

  it('answers acks=all with NOT_ENOUGH_REPLICAS when min.insync.replicas exceeds the one replica', async () => {
    const topic = uniqueTopic('insync');
    await create(topic, [{ name: 'min.insync.replicas', value: '2' }]);
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    expect(await brokerError(producer.send({ topic, acks: -1, messages: [{ value: 'all' }] }))).toBe('NOT_ENOUGH_REPLICAS');
    const [leaderOnly] = await producer.send({ topic, acks: 1, messages: [{ value: 'leader' }] });
    expect(leaderOnly.errorCode).toBe(0);
    await producer.disconnect();
  });

  it('deletes segments past retention.ms, moves the log start and answers a fetch below it with OFFSET_OUT_OF_RANGE', async () => {
    const topic = uniqueTopic('retained');
    await create(topic, [
      { name: 'retention.ms', value: '60000' },
      { name: 'segment.bytes', value: '200' },
    ]);
    const producer = kafka.producer();
    await producer.connect();
    const old = String(Date.now() - 3_600_000);
    for (let i = 0; i < 5; i++) await producer.send({ topic, messages: [{ key: `k${i}`, value: `old-${i}`.padEnd(120, '.'), timestamp: old }] });
    for (let i = 0; i < 3; i++) await producer.send({ topic, messages: [{ key: `n${i}`, value: `new-${i}` }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await eventually(
      async () => {
        const [o] = await admin.fetchTopicOffsets(topic);
        return Number(o.low) === 5 ? o : null;
      },
      10_000,
      'log start to pass the expired records',
    );
    await admin.disconnect();
    expect(offsets).toMatchObject({ low: '5', high: '8' });
    expect(await fetchAt(broker.port, topic, 2)).toMatchObject({ error: 1, logStartOffset: 5 });
    expect((await readAll(kafka, topic, 3)).map((m) => m.value)).toEqual(['new-0', 'new-1', 'new-2']);
  });

  it('keeps a partition within retention.bytes by deleting its oldest segments', async () => {
    const topic = uniqueTopic('sized');
    await create(topic, [
      { name: 'retention.bytes', value: '1000' },
      { name: 'segment.bytes', value: '300' },
    ]);
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 30; i++) await producer.send({ topic, messages: [{ value: `m-${i}`.padEnd(100, '.') }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    // Retention runs on a schedule, possibly between two sends: wait for it to have seen all thirty.
    // Each 100-byte record is a ~170-byte batch: 1000 bytes keep the newest six to eight of thirty.
    const offsets = await eventually(
      async () => {
        const [o] = await admin.fetchTopicOffsets(topic);
        return Number(o.low) >= 20 ? { low: Number(o.low), high: Number(o.high) } : null;
      },
      30_000,
      'size retention down to the newest records',
    );
    await admin.disconnect();
    const { low, high } = offsets!;
    expect(high).toBe(30);
    expect(low).toBeLessThan(30);
  });

  it('compacts to the last record per key, drops old tombstones, and keeps the offsets', async () => {
    const topic = uniqueTopic('compacted');
    await create(topic, [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'segment.bytes', value: '150' },
      { name: 'delete.retention.ms', value: '0' },
    ]);
    const producer = kafka.producer();
    await producer.connect();
    const writes: Array<[string, string | null]> = [
      ['a', 'a1'],
      ['b', 'b1'],
      ['a', 'a2'],
      ['c', 'c1'],
      ['b', null],
      ['a', 'a3'],
      ['d', 'd1'],
      ['e', 'e1'],
    ];
    for (const [key, value] of writes) await producer.send({ topic, messages: [{ key, value }] });
    await producer.disconnect();
    // Everything but the active segment (the last batch) is cleanable.
    const expected = [
      { key: 'c', value: 'c1', offset: 3 },
      { key: 'a', value: 'a3', offset: 5 },
      { key: 'd', value: 'd1', offset: 6 },
      { key: 'e', value: 'e1', offset: 7 },
    ];
    const seen = await eventually(
      async () => {
        const all = await readAll(kafka, topic, 4);
        return all.length === 4 ? all : null;
      },
      20_000,
      'compaction',
    );
    expect(seen).toEqual(expected);
  });

  it('refuses a record without a key on a compacted topic with CORRUPT_MESSAGE', async () => {
    const topic = uniqueTopic('keyless');
    await create(topic, [{ name: 'cleanup.policy', value: 'compact' }]);
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    expect(await brokerError(producer.send({ topic, messages: [{ value: 'no key' }] }))).toBe('CORRUPT_MESSAGE');
    await producer.disconnect();
  });

  it('keeps topic configs across a restart', async () => {
    const dataDir = broker.dataDir;
    const topic = uniqueTopic('persisted');
    await create(topic, [{ name: 'max.message.bytes', value: '1500' }]);
    await broker.close();
    broker = await startTestBroker({ dataDir, retentionCheckMs: 100 });
    kafka = kafkaClient(broker.brokers);
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    expect(await brokerError(producer.send({ topic, messages: [{ value: 'z'.repeat(3000) }] }))).toBe('MESSAGE_TOO_LARGE');
    await producer.disconnect();
  });

  it('serves IncrementalAlterConfigs: SET, APPEND to a list, DELETE back to the default', async () => {
    const topic = uniqueTopic('incremental');
    await create(topic, []);
    const client = await RawClient.connect(broker.port);
    const alter = async (ops: Array<[string, number, string | null]>) => {
      const r = await client.request(
        44,
        0,
        new Writer().array([topic], (w, t) => w.int8(2).string(t).array(ops, (w, [name, op, value]) => w.string(name).int8(op).string(value))).bool(false),
      );
      r.int32();
      const [res] = r.array((r: Reader) => ({ error: r.int16(), message: r.nullableString(), type: r.int8(), name: r.string() }));
      return res;
    };
    expect((await alter([['retention.ms', 0, '1234']])).error).toBe(0);
    expect((await alter([['cleanup.policy', 2, 'compact']])).error).toBe(0);
    expect(broker && (await configValues(kafka, topic, ['retention.ms', 'cleanup.policy']))).toEqual({ 'retention.ms': '1234', 'cleanup.policy': 'delete,compact' });
    expect((await alter([['retention.ms', 1, null]])).error).toBe(0);
    expect(await configValues(kafka, topic, ['retention.ms'])).toEqual({ 'retention.ms': '-1' });
    expect(await alter([['no.such.config', 0, '1']])).toMatchObject({ error: 40, message: 'Unknown topic config name: no.such.config' });
    expect((await alter([['retention.ms', 2, '5']])).error).toBe(40);
    client.close();
  });
});

async function configValues(kafka: Kafka, topic: string, names: string[]): Promise<Record<string, string>> {
  const admin = kafka.admin();
  await admin.connect();
  const d = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }], includeSynonyms: false });
  await admin.disconnect();
  return Object.fromEntries(d.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
}
