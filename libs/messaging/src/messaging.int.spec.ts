import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { messageKeys } from '@kairos/config';
import { openServiceDataSource } from '@kairos/persistence';
import { ServiceMetrics } from '@kairos/observability';
import { createTestDatabase, generateTestMessageKeys, messageKeysEnv, startTestKafka, type TestDatabase } from '@kairos/testing';
import { bindMessageAuthentication, messageAuthentication, type MessageAuthentication } from './authentication';
import { IdempotentConsumer, PoisonMessageError } from './consumer';
import { headerValue, toKafkaMessage, type OutgoingMessage } from './envelope';
import { MessagingRuntime } from './messaging-runtime';
import { messagingMigrations } from './migrations';
import { enqueueOutbox, OutboxRelay } from './outbox';
import { MessagePublisher, SchemaViolationError } from './publisher';
import { contractSchemas } from './schemas';
import { createTestTopics } from './topics.fixture';

const TOPIC = 'expiry.events';

function timerFired(n: number, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    topic: TOPIC,
    key: `request-${n}`,
    id: `timer-${n}`,
    type: 'TimerFired',
    subject: `request-${n}`,
    time: '2026-11-24T10:00:00.000Z',
    source: 'urn:kairos:expiry-scheduler',
    data: { timerId: `t${n}`, requestId: `request-${n}`, itemId: 'i1', kind: 'access_expiry', dueAt: '2026-11-24T10:00:00.000Z', firedAt: '2026-11-24T10:00:00.100Z' },
    correlationId: `corr-${n}`,
    ...overrides,
  };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('messaging over the Kafka-compatible broker', () => {
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let db: TestDatabase;
  let dataSource: DataSource;
  let kafka: Kafka;
  let publisher: MessagePublisher;
  // The test plays the expiry scheduler: it signs expiry.events and trusts every producer's key.
  const auth: MessageAuthentication = messageAuthentication(messageKeys(messageKeysEnv('expiry-scheduler')));
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    broker = await startTestKafka();
    await createTestTopics(broker.brokers, ['effects-once', 'batch-once', 'poison-tolerant', 'flaky', 'transient', 'forgery-refusing', 'shadow-proof']);
    db = await createTestDatabase();
    dataSource = await openServiceDataSource({ url: db.url, schema: 'svc', migrations: messagingMigrations });
    await dataSource.query('CREATE TABLE svc.effects (message_id text, request_id text)');
    kafka = bindMessageAuthentication(new Kafka({ clientId: 'test', brokers: broker.brokers, logLevel: logLevel.NOTHING }), auth);
    publisher = new MessagePublisher(kafka, contractSchemas);
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await publisher.disconnect();
    await dataSource.destroy();
    await db.drop();
    await broker.close();
  });

  async function startConsumer(groupId: string, handle: ConstructorParameters<typeof IdempotentConsumer>[0]['handle']) {
    const consumer = new IdempotentConsumer({ kafka, groupId, topics: [TOPIC], dataSource, publisher, schemas: contractSchemas, handle, backoffMs: 10, maxAttempts: 3 });
    await consumer.start();
    cleanups.push(() => consumer.stop());
    return consumer;
  }

  async function readAll(topic: string, groupId: string, count: number, until: (seen: { headers: Record<string, string | undefined> }[]) => boolean = (seen) => seen.length >= count) {
    const consumer: Consumer = kafka.consumer({ groupId });
    const seen: { key: string | null; value: string; headers: Record<string, string | undefined> }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string | undefined> = {};
        for (const name of Object.keys(message.headers ?? {})) headers[name] = headerValue(message.headers, name);
        seen.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers });
      },
    });
    await eventually(async () => until(seen));
    await consumer.disconnect();
    return seen;
  }

  it('publishes CloudEvents in binary mode and processes a redelivered message once', async () => {
    const group = 'effects-once';
    await startConsumer(group, async (message, tx) => {
      await tx.query('INSERT INTO svc.effects VALUES ($1, $2)', [message.id, (message.data as { requestId: string }).requestId]);
    });
    await publisher.publish([timerFired(1)]);
    await publisher.publish([timerFired(1)]);
    await publisher.publish([timerFired(2)]);
    await eventually(async () => (await dataSource.query(`SELECT * FROM svc.effects`)).length >= 2);
    await eventually(async () => (await dataSource.query(`SELECT * FROM svc.messaging_inbox WHERE consumer_group = $1`, [group])).length >= 2);
    const effects = await dataSource.query(`SELECT message_id FROM svc.effects ORDER BY message_id`);
    expect(effects).toEqual([{ message_id: 'timer-1' }, { message_id: 'timer-2' }]);

    const seen = await readAll(TOPIC, 'raw-reader', 1, (all) => all.some((m) => m.headers.ce_id === 'timer-1'));
    const raw = seen.find((m) => m.headers.ce_id === 'timer-1');
    expect(raw!.key).toBe('request-1');
    expect(raw!.headers).toMatchObject({ ce_id: 'timer-1', ce_type: 'TimerFired', ce_subject: 'request-1', ce_specversion: '1.0', ce_source: 'urn:kairos:expiry-scheduler', 'x-correlation-id': 'corr-1' });
  });

  it('handles a partition\'s batch in few transactions, in order, once each, and a failing message alone (ADR 0024)', async () => {
    const key = 'request-batch';
    const batch = Array.from({ length: 40 }, (_, i) => timerFired(100 + i, { key, id: `batch-${i}` }));
    // A duplicate id inside the batch, and one message that fails twice before it succeeds.
    batch.splice(10, 0, timerFired(200, { key, id: 'batch-3' }));
    batch.splice(20, 0, timerFired(201, { key, id: 'batch-flaky', data: { ...(timerFired(201).data as object), timerId: 'flaky' } }));
    // Published before the consumer starts, so they arrive as one fetch.
    await publisher.publish(batch);
    await dataSource.query('CREATE TABLE svc.batch_effects (n serial, message_id text, txid bigint)');
    let flakyFailures = 0;
    await startConsumer('batch-once', async (message, tx) => {
      if ((message.data as { timerId: string }).timerId === 'flaky' && flakyFailures < 2) {
        flakyFailures++;
        throw new Error('flaky dependency');
      }
      // The topic holds the other tests' messages too: only this test's count.
      if (message.id.startsWith('batch-')) await tx.query('INSERT INTO svc.batch_effects (message_id, txid) VALUES ($1, txid_current())', [message.id]);
    });
    await eventually(async () => (await dataSource.query('SELECT 1 FROM svc.batch_effects')).length >= 41);
    await new Promise((r) => setTimeout(r, 500));
    const rows: { message_id: string; txid: string }[] = await dataSource.query('SELECT message_id, txid FROM svc.batch_effects ORDER BY n');
    const expected = batch.map((m) => m.id).filter((id, i, all) => all.indexOf(id) === i);
    expect(rows.map((r) => r.message_id)).toEqual(expected);
    expect(flakyFailures).toBe(2);
    // Far fewer transactions than messages: the good ones went in batches.
    expect(new Set(rows.map((r) => r.txid)).size).toBeLessThan(rows.length / 4);
  });

  it('refuses to publish a message that breaks its schema', async () => {
    const bad = timerFired(3, { data: { timerId: 't3', kind: 'whenever' } });
    await expect(publisher.publish([bad])).rejects.toThrow(SchemaViolationError);
  });

  it('dead-letters poison messages with the reason and keeps the partition moving', async () => {
    const group = 'poison-tolerant';
    const handled: string[] = [];
    const consumer = await startConsumer(group, async (message) => {
      if ((message.data as { timerId: string }).timerId === 'poison') throw new PoisonMessageError('cannot apply');
      if ((message.data as { timerId: string }).timerId === 'always-fails') throw new Error('handler keeps failing');
      handled.push(message.id);
    });
    const producer = kafka.producer();
    await producer.connect();
    // Signed by the producer's own key: malformed, not forged.
    const signed = (value: string, headers: Record<string, string>) => ({ key: 'request-x', value, headers: { ...headers, ...auth.signer.signatureHeaders(TOPIC, { key: 'request-x', value, headers }) } });
    await producer.send({ topic: TOPIC, messages: [signed('not json', { ce_id: 'garbage-1', ce_type: 'TimerFired' })] });
    await producer.send({ topic: TOPIC, messages: [signed('{}', { ce_id: 'no-schema-1', ce_type: 'TimerFired' })] });
    await producer.send({ topic: TOPIC, messages: [signed('{}', {})] });
    await producer.disconnect();
    await publisher.publish([timerFired(10, { id: 'poison-1', data: { ...(timerFired(10).data as object), timerId: 'poison' } })]);
    await publisher.publish([timerFired(11, { id: 'fails-1', data: { ...(timerFired(11).data as object), timerId: 'always-fails' } })]);
    await publisher.publish([timerFired(12, { id: 'good-after-poison' })]);

    await eventually(async () => handled.includes('good-after-poison'));
    const dead = await readAll(consumer.deadLetterTopic, 'dlq-reader', 5);
    const reasons = dead.map((d) => d.headers['x-kairos-dlq-reason']);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'message value is not valid JSON',
        expect.stringMatching(/^schema: /),
        'missing CloudEvents header ce_id',
        'cannot apply',
        'handler keeps failing',
      ]),
    );
    const failing = dead.find((d) => d.headers['x-kairos-dlq-reason'] === 'handler keeps failing')!;
    expect(failing.headers['x-kairos-dlq-attempts']).toBe('3');
    expect(failing.headers['x-kairos-dlq-topic']).toBe(TOPIC);
    expect(failing.headers.ce_id).toBe('fails-1');
    expect(JSON.parse(failing.value).timerId).toBe('always-fails');
  });

  it('retries a transient failure and applies the message once', async () => {
    let calls = 0;
    const group = 'flaky';
    await startConsumer(group, async (message, tx) => {
      if (message.id !== 'flaky-1') return;
      calls += 1;
      await tx.query('INSERT INTO svc.effects VALUES ($1, $2)', [message.id, 'flaky']);
      if (calls < 3) throw new Error('transient');
    });
    await publisher.publish([timerFired(20, { id: 'flaky-1' })]);
    await eventually(async () => (await dataSource.query(`SELECT 1 FROM svc.messaging_inbox WHERE consumer_group = $1 AND message_id = 'flaky-1'`, [group])).length === 1);
    expect(calls).toBe(3);
    expect(await dataSource.query(`SELECT message_id FROM svc.effects WHERE request_id = 'flaky'`)).toEqual([{ message_id: 'flaky-1' }]);
  });

  it('keeps retrying a message whose failure is transient, instead of dead-lettering it', async () => {
    let calls = 0;
    const consumer = new IdempotentConsumer({
      kafka,
      groupId: 'transient',
      topics: [TOPIC],
      dataSource,
      publisher,
      schemas: contractSchemas,
      backoffMs: 10,
      maxAttempts: 2,
      isTransient: () => true,
      handle: async (message, tx) => {
        if (message.id !== 'transient-1') return;
        calls += 1;
        if (calls <= 3) throw new Error('dependency down');
        await tx.query('INSERT INTO svc.effects VALUES ($1, $2)', [message.id, 'transient']);
      },
    });
    await consumer.start();
    cleanups.push(() => consumer.stop());
    await publisher.publish([timerFired(40, { id: 'transient-1' })]);
    await eventually(async () => (await dataSource.query(`SELECT 1 FROM svc.effects WHERE request_id = 'transient'`)).length === 1);
    expect(calls).toBe(4);
    expect(await dataSource.query(`SELECT outcome FROM svc.messaging_inbox WHERE consumer_group = 'transient' AND message_id = 'transient-1'`)).toEqual([{ outcome: 'processed' }]);
  });

  it('publishes outbox messages only when their transaction commits', async () => {
    const relay = new OutboxRelay(dataSource, publisher, { pollMs: 50 });
    await dataSource
      .transaction(async (tx) => {
        await enqueueOutbox(tx, [timerFired(30, { id: 'rolled-back', key: 'outbox' })]);
        throw new Error('abort');
      })
      .catch(() => undefined);
    await dataSource.transaction((tx) => enqueueOutbox(tx, [timerFired(31, { id: 'committed', key: 'outbox' })]));
    expect(await relay.drain()).toBe(1);
    expect(await relay.drain()).toBe(0);
    const all = await readAll(TOPIC, 'outbox-reader', 1, (seen) => seen.some((m) => m.headers.ce_id === 'committed'));
    const ids = all.map((m) => m.headers.ce_id);
    expect(ids).toContain('committed');
    expect(ids).not.toContain('rolled-back');
  });

  describe('a message that does not prove who produced it', () => {
    it('refuses a forged TimerFired written straight to expiry.events: dead-lettered with the reason, counted, alarmed, never handled, and the consumer goes on', async () => {
      const handled: string[] = [];
      const alarms: Record<string, unknown>[] = [];
      const metrics = new ServiceMetrics('messaging-test');
      const runtime = new MessagingRuntime({
        kafka,
        dataSource,
        groupId: 'forgery-refusing',
        topics: [TOPIC],
        outbox: false,
        metrics,
        log: { warn: () => undefined, error: (msg, fields) => alarms.push({ msg, ...fields }) },
        handle: async (message) => {
          handled.push(message.id);
        },
      });
      await runtime.start();
      cleanups.push(() => runtime.stop());
      const forged = timerFired(50, { id: 'forged-1' });
      const stranger = messageAuthentication(messageKeys(generateTestMessageKeys().env('expiry-scheduler')));
      const policyService = messageAuthentication(messageKeys(messageKeysEnv('approval-policy-service')));
      const record = toKafkaMessage(forged);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: TOPIC, messages: [record] });
      await producer.send({ topic: TOPIC, messages: [{ ...record, headers: { ...record.headers, ...stranger.signer.signatureHeaders(TOPIC, record) } }] });
      await producer.send({ topic: TOPIC, messages: [{ ...record, headers: { ...record.headers, ...policyService.signer.signatureHeaders(TOPIC, record) } }] });
      const genuine = { ...record, headers: { ...record.headers, ...auth.signer.signatureHeaders(TOPIC, record) } };
      await producer.send({ topic: TOPIC, messages: [{ ...genuine, value: JSON.stringify({ ...(forged.data as object), kind: 'approval_expiry' }) }] });
      await producer.disconnect();
      await publisher.publish([timerFired(51, { id: 'genuine-after-forgeries' })]);

      await eventually(async () => handled.includes('genuine-after-forgeries'));
      // The group reads the topic from its start: earlier tests' messages pass through it too.
      expect(handled).not.toContain('forged-1');
      const refusedOnly = (seen: { headers: Record<string, string | undefined> }[]) => seen.filter((d) => d.headers['x-kairos-dlq-reason']?.startsWith('authentication:'));
      const dead = refusedOnly(await readAll(runtime.consumer.deadLetterTopic, 'forgery-dlq-reader', 4, (seen) => refusedOnly(seen).length >= 4));
      expect(dead.map((d) => d.headers['x-kairos-dlq-reason'])).toEqual([
        'authentication: unsigned: the message carries no x-kairos-key-id header',
        expect.stringMatching(/^authentication: unknown_key: key id "expiry-scheduler-\w+" is not a trusted key$/),
        expect.stringMatching(/^authentication: wrong_producer: key "approval-policy-service-\w+" belongs to approval-policy-service, but only expiry-scheduler may produce on expiry\.events$/),
        expect.stringMatching(/^authentication: bad_signature: /),
      ]);
      expect(alarms.filter((a) => a.alarm === 'message_authentication').map((a) => a.refusal)).toEqual(['unsigned', 'unknown_key', 'wrong_producer', 'bad_signature']);
      const refused = await metrics.registry.getSingleMetricAsString('kairos_messages_refused_total');
      for (const refusal of ['unsigned', 'unknown_key', 'wrong_producer', 'bad_signature']) expect(refused).toContain(`topic="${TOPIC}",refusal="${refusal}",service="messaging-test"} 1`);
    });

    it("does not let a forgery carrying a genuine message's id shadow the genuine message", async () => {
      const handled: string[] = [];
      await startConsumer('shadow-proof', async (message) => {
        handled.push(message.id);
      });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: TOPIC, messages: [toKafkaMessage(timerFired(60, { id: 'taken-id' }))] });
      await producer.disconnect();
      await publisher.publish([timerFired(60, { id: 'taken-id' })]);
      await eventually(async () => handled.includes('taken-id'));
      expect(handled.filter((id) => id === 'taken-id')).toEqual(['taken-id']);
      expect(await dataSource.query(`SELECT outcome FROM svc.messaging_inbox WHERE consumer_group = 'shadow-proof' AND message_id = 'taken-id'`)).toEqual([{ outcome: 'processed' }]);
    });
  });
});
