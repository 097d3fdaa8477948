import { Writer } from '../src/protocol/encoding';
import { kafkaClient, startTestBroker, uniqueTopic } from './helpers';
import { RawClient, produceBody, readProduceResponse, recordBatch } from './raw-client';

describe('when clients send bad input', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  const topic = uniqueTopic('bad');

  beforeAll(async () => {
    broker = await startTestBroker({ memory: true });
    const admin = kafkaClient(broker.brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
  });
  afterAll(() => broker.close());

  async function stillServes(): Promise<void> {
    const producer = kafkaClient(broker.brokers).producer();
    await producer.connect();
    const [ack] = await producer.send({ topic, messages: [{ value: 'still here' }] });
    expect(ack.errorCode).toBe(0);
    await producer.disconnect();
  }

  it('closes a connection that sends garbage', async () => {
    const client = await RawClient.connect(broker.port);
    client.socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await client.whenClosed();
    await stillServes();
  });

  it('closes a connection whose frame claims more than its body holds', async () => {
    const client = await RawClient.connect(broker.port);
    const body = new Writer().int16(3).int16(6).int32(1).string('raw').int32(5).toBuffer();
    client.socket.write(Buffer.concat([new Writer().int32(body.length).toBuffer(), body]));
    await client.whenClosed();
    await stillServes();
  });

  it('waits for the rest of a frame cut across writes', async () => {
    const client = await RawClient.connect(broker.port);
    const body = new Writer().int16(18).int16(0).int32(9).string('raw').toBuffer();
    const frame = Buffer.concat([new Writer().int32(body.length).toBuffer(), body]);
    const response = client.nextFrame();
    client.socket.write(frame.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 50));
    client.socket.write(frame.subarray(5));
    expect((await response).readInt32BE(0)).toBe(9);
    client.close();
  });

  it('closes a connection that asks for an unknown api key or version', async () => {
    const unknownKey = await RawClient.connect(broker.port);
    void unknownKey.request(999, 0, new Writer()).catch(() => undefined);
    await unknownKey.whenClosed();
    const unknownVersion = await RawClient.connect(broker.port);
    void unknownVersion.request(3, 42, new Writer()).catch(() => undefined);
    await unknownVersion.whenClosed();
    await stillServes();
  });

  it('answers a newer ApiVersions probe with UNSUPPORTED_VERSION and the supported list', async () => {
    const client = await RawClient.connect(broker.port);
    const r = await client.request(18, 3, new Writer());
    expect(r.int16()).toBe(35);
    const keys = r.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }));
    expect(keys).toContainEqual({ key: 0, min: 3, max: 7 });
    expect(keys.map((k) => k.key)).not.toContain(24);
    client.close();
  });

  it('rejects a batch with a bad CRC as CORRUPT_MESSAGE and keeps the connection', async () => {
    const client = await RawClient.connect(broker.port);
    const batch = recordBatch({ values: ['hello'] });
    batch[batch.length - 2] ^= 0xff;
    expect(readProduceResponse(await client.request(0, 7, produceBody(topic, 0, batch))).error).toBe(2);
    const good = readProduceResponse(await client.request(0, 7, produceBody(topic, 0, recordBatch({ values: ['fine'] }))));
    expect(good.error).toBe(0);
    client.close();
  });

  it('rejects invalid acks and unknown partitions', async () => {
    const client = await RawClient.connect(broker.port);
    expect(readProduceResponse(await client.request(0, 7, produceBody(topic, 0, recordBatch({ values: ['x'] }), 2))).error).toBe(21);
    expect(readProduceResponse(await client.request(0, 7, produceBody(topic, 9, recordBatch({ values: ['x'] })))).error).toBe(3);
    client.close();
    await stillServes();
  });
});
