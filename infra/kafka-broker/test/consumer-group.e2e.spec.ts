import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { Kafka } from 'kafkajs';
import { waitForExit } from './broker-process';
import { eventually, kafkaClient, startTestBroker, uniqueTopic } from './helpers';

interface Report {
  name: string;
  type: string;
  value?: string;
  partition?: number;
}

describe('a three-member consumer group', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let kafka: Kafka;
  const members = new Map<string, ChildProcess>();
  const reports: Report[] = [];

  beforeAll(async () => {
    broker = await startTestBroker();
    kafka = kafkaClient(broker.brokers);
  });
  afterAll(async () => {
    for (const child of members.values()) child.kill('SIGKILL');
    await broker.close();
  });

  function startMember(name: string, topic: string, groupId: string): void {
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures/group-member.js'), broker.brokers[0], topic, groupId, name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffered = '';
    child.stdout?.on('data', (d) => {
      buffered += String(d);
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        reports.push(JSON.parse(buffered.slice(0, nl)) as Report);
        buffered = buffered.slice(nl + 1);
      }
    });
    members.set(name, child);
  }

  async function stableWith(groupId: string, count: number): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    await eventually(
      async () => {
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0].state === 'Stable' && groups[0].members.length === count;
      },
      45_000,
      `a stable group of ${count}`,
    );
    await admin.disconnect();
  }

  async function produce(topic: string, prefix: string): Promise<string[]> {
    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: 30 }, (_, i) => `${prefix}-${i}`);
    await producer.send({ topic, messages: values.map((value, i) => ({ key: `key-${i}`, value })) });
    await producer.disconnect();
    return values;
  }

  it('rebalances on join, leave and session expiry without losing or re-committing a message', async () => {
    const topic = uniqueTopic('group');
    const groupId = uniqueTopic('three');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    await admin.disconnect();
    const sent: string[] = [];

    startMember('a', topic, groupId);
    await stableWith(groupId, 1);
    sent.push(...(await produce(topic, 'one')));
    startMember('b', topic, groupId);
    await stableWith(groupId, 2);
    startMember('c', topic, groupId);
    await stableWith(groupId, 3);
    sent.push(...(await produce(topic, 'three')));
    await eventually(() => reports.filter((r) => r.type === 'committed').length >= 60, 45_000, 'the first 60 messages');

    const b = members.get('b') as ChildProcess;
    b.kill('SIGTERM');
    expect((await waitForExit(b)).code).toBe(0);
    await stableWith(groupId, 2);
    sent.push(...(await produce(topic, 'after-leave')));

    const c = members.get('c') as ChildProcess;
    c.kill('SIGKILL');
    await waitForExit(c);
    // c never said goodbye: only its session timing out (3 s) can hand its partitions over.
    await stableWith(groupId, 1);
    sent.push(...(await produce(topic, 'after-kill')));

    const check = kafka.admin();
    await check.connect();
    await eventually(
      async () => {
        const ends = new Map((await check.fetchTopicOffsets(topic)).map((e) => [e.partition, e.offset]));
        const [offsets] = await check.fetchOffsets({ groupId, topics: [topic] });
        return offsets.partitions.every((p) => p.offset === ends.get(p.partition));
      },
      60_000,
      'the group to commit every partition to its end',
    );
    await check.disconnect();

    const committed = reports.filter((r) => r.type === 'committed').map((r) => r.value as string);
    expect(new Set(committed).size).toBe(committed.length);
    const processed = new Set(reports.filter((r) => r.type === 'processing').map((r) => r.value));
    expect(sent.filter((v) => !processed.has(v))).toEqual([]);
    // Only a message c was holding when it died may lack a commit report.
    const uncommitted = sent.filter((v) => !committed.includes(v));
    expect(uncommitted.every((v) => reports.some((r) => r.type === 'processing' && r.name === 'c' && r.value === v))).toBe(true);
    expect(new Set(reports.filter((r) => r.type === 'join').map((r) => r.name))).toEqual(new Set(['a', 'b', 'c']));
  });
});
