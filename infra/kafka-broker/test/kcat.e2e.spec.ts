import { execFile, execFileSync } from 'node:child_process';
import { CompressionTypes, Kafka } from 'kafkajs';
import { eventually, kafkaClient, startTestBroker, uniqueTopic } from './helpers';

function requireKcat(): void {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('kcat is not installed: these cross-client tests need it (apt-get install -y kcat)');
  }
}

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: 40_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? '');
  });
}

interface KcatRecord {
  offset: number;
  key: string | null;
  payload: string;
  headers?: string[];
}

describe('kcat (librdkafka) and kafkajs on the same broker', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let kafka: Kafka;
  let bootstrap: string;

  beforeAll(async () => {
    requireKcat();
    broker = await startTestBroker();
    kafka = kafkaClient(broker.brokers);
    bootstrap = broker.brokers[0];
  });
  afterAll(() => broker?.close());

  it('lets kafkajs read gzip batches that kcat produced idempotently', async () => {
    const topic = uniqueTopic('from-kcat');
    await kcat(['-P', '-b', bootstrap, '-t', topic, '-K:', '-H', 'h=1', '-H', 'h=2', '-z', 'gzip', '-X', 'enable.idempotence=true'], 'k1:v1\nk2:v2\nk3:v3\n');
    const consumer = kafka.consumer({ groupId: uniqueTopic('reads-kcat'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: Array<{ key: string; value: string; headers: string[] }> = [];
    await consumer.run({
      eachMessage: async ({ message }) =>
        void seen.push({
          key: String(message.key),
          value: String(message.value),
          headers: (message.headers?.h as Buffer[]).map(String),
        }),
    });
    await eventually(() => seen.length === 3, 30_000, 'three kcat messages');
    await consumer.disconnect();
    expect(seen).toEqual([
      { key: 'k1', value: 'v1', headers: ['1', '2'] },
      { key: 'k2', value: 'v2', headers: ['1', '2'] },
      { key: 'k3', value: 'v3', headers: ['1', '2'] },
    ]);
  });

  it('lets kcat read kafkajs batches with CRC checks on', async () => {
    const topic = uniqueTopic('from-kafkajs');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [{ key: 'a', value: 'zipped', headers: { x: 'y' } }] });
    await producer.send({ topic, messages: [{ key: 'b', value: 'plain' }, { key: null, value: 'nokey' }] });
    await producer.disconnect();
    const out = await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-X', 'check.crcs=true']);
    const records = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as KcatRecord);
    expect(records.map((r) => [r.offset, r.key, r.payload])).toEqual([
      [0, 'a', 'zipped'],
      [1, 'b', 'plain'],
      [2, null, 'nokey'],
    ]);
    expect(records[0].headers).toEqual(['x', 'y']);
  });

  it('serves kcat metadata, offset queries and a balanced consumer group', async () => {
    const topic = uniqueTopic('kcat-group');
    await kcat(['-P', '-b', bootstrap, '-t', topic, '-K:'], 'a:1\nb:2\n');
    const metadata = JSON.parse(await kcat(['-L', '-b', bootstrap, '-t', topic, '-J'])) as { controllerid: number; topics: Array<{ topic: string }> };
    expect(metadata.controllerid).toBe(0);
    expect(metadata.topics.map((t) => t.topic)).toEqual([topic]);
    expect(await kcat(['-Q', '-b', bootstrap, '-t', `${topic}:0:0`])).toContain('offset 0');

    const group = uniqueTopic('kcat-g');
    const first = await kcat(['-b', bootstrap, '-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-f', '%k=%s\n', topic]);
    expect(first.trim().split('\n')).toEqual(['a=1', 'b=2']);
    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    await admin.disconnect();
    expect(offsets.partitions).toEqual([{ partition: 0, offset: '2', metadata: null }]);
  });
});
