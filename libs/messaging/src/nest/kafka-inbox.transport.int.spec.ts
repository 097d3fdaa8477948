import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { defer, from, mergeMap, timer, type Observable } from 'rxjs';
import type { DataSource } from 'typeorm';
import { messageKeys } from '@kairos/config';
import { TOPICS } from '@kairos/contracts';
import { openServiceDataSource } from '@kairos/persistence';
import { refuse } from '@kairos/refusal';
import { createTestDatabase, eventually, generateTestMessageKeys, messageKeysEnv, startTestKafka, testMessageKeys, type TestDatabase } from '@kairos/testing';
import { bindMessageAuthentication, messageAuthentication, MessageSigner } from '../authentication';
import { deadLetterTopicFor, PoisonMessageError } from '../consumer';
import { headerValue, toKafkaMessage, type OutgoingMessage } from '../envelope';
import { MessageHandlerMissingError, MessagingRuntime } from '../messaging-runtime';
import { messagingMigrations } from '../migrations';
import { MessagePublisher } from '../publisher';
import { contractSchemas } from '../schemas';
import { createTestTopics } from '../topics.fixture';
import { InboxContext } from './inbox-context';
import { startKafkaInbox } from './kafka-inbox.transport';

/**
 * A Nest app whose Kafka consumer is a controller of @EventPattern handlers, over the real local
 * broker and PostgreSQL. It plays request-service reading provisioning.results (and expiry.events,
 * which it has no handler for).
 */
const GROUP = 'nest-inbox';
const DLQ = deadLetterTopicFor(GROUP);

/** A dependency that is down: the runtime classifies it transient (retried in place, never dead-lettered). */
class DependencyDownError extends Error {
  constructor() {
    super('the dependency is down');
    this.name = 'DependencyDownError';
  }
}

interface Call {
  readonly handler: 'type' | 'topic';
  readonly id: string;
  readonly requestId: string;
}
type Script = (context: InboxContext, attempt: number) => Promise<void>;

const calls: Call[] = [];
/** What a handler does for a request id, after it wrote its effect in the transaction. */
const scripts = new Map<string, Script>();

async function handle(handler: Call['handler'], data: { requestId: string }, context: InboxContext): Promise<void> {
  calls.push({ handler, id: context.message.id, requestId: data.requestId });
  const attempt = calls.filter((c) => c.id === context.message.id).length;
  await context.transaction.query('INSERT INTO svc.nest_effects (message_id, request_id, handler, attempt) VALUES ($1, $2, $3, $4)', [
    context.message.id,
    data.requestId,
    handler,
    attempt,
  ]);
  await scripts.get(data.requestId)?.(context, attempt);
}

@Controller()
class ProvisioningResultsInbox {
  @EventPattern('GrantSucceeded')
  async grantSucceeded(@Payload() data: { requestId: string }, @Ctx() context: InboxContext): Promise<void> {
    await handle('type', data, context);
  }

  /**
   * Every other type of the topic. It answers with an observable whose work starts later: the
   * transport must wait for it before the transaction commits, or the write is lost.
   */
  @EventPattern(TOPICS.provisioningResults)
  anyResult(@Payload() data: { requestId: string }, @Ctx() context: InboxContext): Observable<void> {
    return timer(50).pipe(mergeMap(() => defer(() => from(handle('topic', data, context)))));
  }
}

@Module({ controllers: [ProvisioningResultsInbox] })
class InboxTestModule {}

async function readAll(kafka: Kafka, topic: string, until: (seen: { id?: string; headers: Record<string, string | undefined> }[]) => boolean) {
  const consumer: Consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const seen: { id?: string; headers: Record<string, string | undefined> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string | undefined> = {};
      for (const name of Object.keys(message.headers ?? {})) headers[name] = headerValue(message.headers, name);
      seen.push({ id: headers.ce_id, headers });
    },
  });
  try {
    await eventually(async () => until(seen), `records on ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('KafkaInboxTransport: consumers as @EventPattern handlers over the messaging runtime', () => {
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let db: TestDatabase;
  let dataSource: DataSource;
  let kafka: Kafka;
  let runtime: MessagingRuntime;
  let app: INestApplication;
  let provisioning: MessagePublisher;
  let expiry: MessagePublisher;

  const result = (type: 'GrantSucceeded' | 'GrantFailed' | 'ProvisioningStarted', requestId: string, id = randomUUID()): OutgoingMessage => {
    const attempt = { requestId, itemId: 'i1', grantId: `g-${requestId}`, attempt: 1, at: '2026-11-24T10:00:00.000Z' };
    const data =
      type === 'GrantSucceeded'
        ? { ...attempt, verified: true }
        : type === 'GrantFailed'
          ? { ...attempt, reason: 'target said no', final: false, verified: true }
          : attempt;
    return { topic: TOPICS.provisioningResults, key: requestId, id, type, subject: requestId, time: '2026-11-24T10:00:00.000Z', source: 'urn:kairos:provisioning-connector', data };
  };
  const inboxRow = async (id: string): Promise<{ outcome: string } | undefined> =>
    (await dataSource.query(`SELECT outcome FROM svc.messaging_inbox WHERE consumer_group = $1 AND message_id = $2`, [GROUP, id]))[0];
  const effects = async (requestId: string): Promise<{ message_id: string; handler: string; attempt: number }[]> =>
    dataSource.query(`SELECT message_id, handler, attempt FROM svc.nest_effects WHERE request_id = $1 ORDER BY n`, [requestId]);

  beforeAll(async () => {
    broker = await startTestKafka();
    await createTestTopics(broker.brokers, [GROUP]);
    db = await createTestDatabase('nestinbox');
    dataSource = await openServiceDataSource({ url: db.url, schema: 'svc', migrations: messagingMigrations });
    await dataSource.query('CREATE TABLE svc.nest_effects (n serial, message_id text, request_id text, handler text, attempt int)');
    // The consumer's own client carries its keys: it verifies every producer's signature with them.
    kafka = bindMessageAuthentication(
      new Kafka({ clientId: 'nest-inbox-test', brokers: broker.brokers, logLevel: logLevel.NOTHING }),
      messageAuthentication(messageKeys(messageKeysEnv('request-service'))),
    );
    provisioning = new MessagePublisher(kafka, contractSchemas, MessageSigner.of(testMessageKeys().keys['provisioning-connector']));
    expiry = new MessagePublisher(kafka, contractSchemas, MessageSigner.of(testMessageKeys().keys['expiry-scheduler']));

    runtime = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: GROUP,
      topics: [TOPICS.provisioningResults, TOPICS.expiryEvents],
      log: { warn: () => undefined, error: () => undefined },
      isTransient: (error) => error instanceof DependencyDownError,
    });
    app = await NestFactory.create(InboxTestModule, { logger: false });
    await app.init();
    await startKafkaInbox(app, runtime);
    await runtime.joined();
  });

  afterAll(async () => {
    await app?.close();
    await provisioning?.disconnect();
    await expiry?.disconnect();
    await dataSource?.destroy();
    await db?.drop();
    await broker?.close();
  });

  it('routes a message to the handler of its type before the handler of its topic, and awaits an observable before committing', async () => {
    const byType = result('GrantSucceeded', 'req-route-type');
    const byTopic = result('GrantFailed', 'req-route-topic');
    await provisioning.publish([byType, byTopic]);
    await eventually(async () => (await inboxRow(byType.id)) && (await inboxRow(byTopic.id)), 'both messages handled');
    expect(await effects('req-route-type')).toEqual([{ message_id: byType.id, handler: 'type', attempt: 1 }]);
    // The topic handler's write happened 50 ms into its observable: committed with the inbox row.
    expect(await effects('req-route-topic')).toEqual([{ message_id: byTopic.id, handler: 'topic', attempt: 1 }]);
    expect(calls.filter((c) => c.id === byType.id).map((c) => c.handler)).toEqual(['type']);
  });

  it('commits writes made through context.transaction with the inbox row; an error after a write leaves no write and the message is retried', async () => {
    scripts.set('req-rollback', async (_context, attempt) => {
      if (attempt === 1) throw new Error('failed after its write');
    });
    const message = result('GrantSucceeded', 'req-rollback');
    await provisioning.publish([message]);
    await eventually(async () => (await inboxRow(message.id))?.outcome === 'processed', 'the message processed');
    expect(calls.filter((c) => c.id === message.id)).toHaveLength(2);
    // Only the second attempt's write: the first one rolled back with its transaction.
    expect(await effects('req-rollback')).toEqual([{ message_id: message.id, handler: 'type', attempt: 2 }]);
  });

  it('handles a redelivered message once', async () => {
    const message = result('ProvisioningStarted', 'req-twice');
    const after = result('GrantSucceeded', 'req-twice');
    await provisioning.publish([message]);
    await provisioning.publish([message]);
    // Same key, same partition: once the later one is handled, both copies were seen.
    await provisioning.publish([after]);
    await eventually(async () => inboxRow(after.id), 'the later message handled');
    expect(calls.filter((c) => c.id === message.id)).toHaveLength(1);
    expect((await effects('req-twice')).map((e) => e.message_id)).toEqual([message.id, after.id]);
  });

  it("retries a transient error in place (its own class reaches the runtime, not Nest's replacement) until it succeeds", async () => {
    // More failures than the runtime's attempts (5): only an error classified transient survives them.
    scripts.set('req-transient', async (_context, attempt) => {
      if (attempt <= 6) throw new DependencyDownError();
    });
    const message = result('GrantFailed', 'req-transient');
    await provisioning.publish([message]);
    await eventually(async () => (await inboxRow(message.id))?.outcome === 'processed', 'the message processed after the dependency came back');
    expect(calls.filter((c) => c.id === message.id)).toHaveLength(7);
    expect(await effects('req-transient')).toEqual([{ message_id: message.id, handler: 'topic', attempt: 7 }]);
  });

  it('dead-letters a poison message, a refusal and an always-failing message to <group>.dlq with their own reasons (not "Internal server error"), and moves on', async () => {
    const poison = result('GrantSucceeded', 'req-poison');
    // The same request (key, so partition) goes on after its poison message.
    scripts.set('req-poison', async (context) => {
      if (context.message.id === poison.id) throw new PoisonMessageError('cannot apply: grant g-req-poison is unknown');
    });
    scripts.set('req-refused', async () => {
      throw refuse.conflict('PROVISIONING.RESULT_CONFLICT', 'the item already has another grant');
    });
    scripts.set('req-failing', async () => {
      throw new Error('handler keeps failing');
    });
    const refused = result('ProvisioningStarted', 'req-refused');
    const failing = result('GrantSucceeded', 'req-failing');
    const good = result('GrantSucceeded', 'req-poison');
    await provisioning.publish([poison, refused, failing]);
    await provisioning.publish([good]);
    await eventually(async () => (await inboxRow(good.id))?.outcome === 'processed', 'the message after the poison handled');

    const ids = [poison.id, refused.id, failing.id];
    const dead = await readAll(kafka, DLQ, (seen) => ids.every((id) => seen.some((d) => d.id === id)));
    const reasonOf = (id: string) => dead.find((d) => d.id === id)!.headers;
    expect(reasonOf(poison.id)).toMatchObject({ 'x-kairos-dlq-reason': 'cannot apply: grant g-req-poison is unknown', 'x-kairos-dlq-attempts': '1', 'x-kairos-dlq-group': GROUP });
    expect(reasonOf(refused.id)).toMatchObject({ 'x-kairos-dlq-reason': 'PROVISIONING.RESULT_CONFLICT: the item already has another grant', 'x-kairos-dlq-attempts': '1' });
    expect(reasonOf(failing.id)).toMatchObject({ 'x-kairos-dlq-reason': 'handler keeps failing', 'x-kairos-dlq-attempts': '5' });
    expect(dead.map((d) => d.headers['x-kairos-dlq-reason'])).not.toContain('Internal server error');
    for (const id of ids) expect((await inboxRow(id))?.outcome).toBe('dead_lettered');
    // Nothing they wrote before failing was kept; the good message after them was.
    expect(await effects('req-failing')).toEqual([]);
    expect((await effects('req-poison')).map((e) => e.message_id)).toEqual([good.id]);
    // The transient message of the test before was never dead-lettered.
    expect(dead.map((d) => d.headers['x-kairos-dlq-reason'])).not.toContain('the dependency is down');
  });

  it('refuses a forged GrantSucceeded written straight to provisioning.results (unsigned, or signed by an unknown key): dead-lettered, the handler never runs', async () => {
    const forged = result('GrantSucceeded', 'req-forged');
    const record = toKafkaMessage(forged);
    const stranger = messageAuthentication(messageKeys(generateTestMessageKeys().env('provisioning-connector')));
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: TOPICS.provisioningResults, messages: [record] });
      await producer.send({ topic: TOPICS.provisioningResults, messages: [{ ...record, headers: { ...record.headers, ...stranger.signer.signatureHeaders(TOPICS.provisioningResults, record) } }] });
    } finally {
      await producer.disconnect();
    }
    const genuine = result('GrantSucceeded', 'req-forged');
    await provisioning.publish([genuine]);
    await eventually(async () => inboxRow(genuine.id), 'the genuine message after the forgeries handled');

    const refusals = (seen: { id?: string; headers: Record<string, string | undefined> }[]) => seen.filter((d) => d.id === forged.id);
    const dead = refusals(await readAll(kafka, DLQ, (seen) => refusals(seen).length >= 2));
    expect(dead.map((d) => d.headers['x-kairos-dlq-reason'])).toEqual([
      'authentication: unsigned: the message carries no x-kairos-key-id header',
      expect.stringMatching(/^authentication: unknown_key: /),
    ]);
    expect(calls.filter((c) => c.id === forged.id)).toEqual([]);
    expect((await effects('req-forged')).map((e) => e.message_id)).toEqual([genuine.id]);
  });

  it('passes over a message of no interest (no handler for its type or topic) unread: no transaction, no inbox row, its offset committed', async () => {
    const fired: OutgoingMessage = {
      topic: TOPICS.expiryEvents,
      key: 'req-uninteresting',
      id: randomUUID(),
      type: 'TimerFired',
      subject: 'req-uninteresting',
      time: '2026-11-24T10:00:00.000Z',
      source: 'urn:kairos:expiry-scheduler',
      data: { timerId: 't1', requestId: 'req-uninteresting', itemId: 'i1', kind: 'access_expiry', dueAt: '2026-11-24T10:00:00.000Z', firedAt: '2026-11-24T10:00:00.100Z' },
    };
    await expiry.publish([fired]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const high = (await admin.fetchTopicOffsets(TOPICS.expiryEvents)).filter((p) => Number(p.high) > 0);
      expect(high.length).toBeGreaterThan(0);
      await eventually(async () => {
        const [committed] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPICS.expiryEvents] });
        return high.every((h) => Number(committed?.partitions.find((p) => p.partition === h.partition)?.offset ?? -1) >= Number(h.high));
      }, 'the group committed past the message');
    } finally {
      await admin.disconnect();
    }
    // Nothing read it: no inbox row, no handler, no effect.
    expect(await inboxRow(fired.id)).toBeUndefined();
    expect(calls.filter((c) => c.id === fired.id)).toEqual([]);
    expect(await effects('req-uninteresting')).toEqual([]);
  });

  it('refuses to start a runtime that has no handler, and app.close() stops the consumer: it leaves its group', async () => {
    const unbound = new MessagingRuntime({ kafka, dataSource, groupId: 'nest-inbox-unbound', topics: [TOPICS.expiryEvents], outbox: false, log: { warn: () => undefined, error: () => undefined } });
    await expect(unbound.start()).rejects.toThrow(MessageHandlerMissingError);

    await app.close();
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([GROUP]);
      expect(groups[0]?.members ?? []).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
