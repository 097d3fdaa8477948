import type { INestApplication } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import type { Kafka } from 'kafkajs';
import { loadConfig } from '@kairos/config';
import { TOPICS } from '@kairos/contracts';
import { createServiceApp } from '@kairos/http';
import { headerValue, MessageSigner, toKafkaMessage, type OutgoingMessage, ensureKairosTopics } from '@kairos/messaging';
import { ServiceMetrics } from '@kairos/observability';
import {
  authEnv,
  createTestDatabase,
  eventually,
  generateTestMessageKeys,
  messageKeysEnv,
  startTestEventStore,
  startTestIssuer,
  startTestKafka,
  testMessageKeys,
  type TestDatabase,
  type TestIssuer,
} from '@kairos/testing';
import { config } from '../src/config';
import { identityRoleName } from '../src/domain/names';
import { ProvisioningConnectorModule } from '../src/provisioning-connector.module';
import { startProvisioningInbox } from '../src/adapters/kafka/provisioning.runtime';
import { collectResults, event, grantRequested, isMember, kafkaClient, RequestServicePublisher, sql, unique } from './fixtures';

/**
 * An attacker with write access to `access-request.events` (any downstream system's credentials,
 * say) sends grants with kafkajs, exactly as they would. None may reach the target database.
 */
describe('provisioning-connector, against forged grants', () => {
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let esdb: EventStoreDBClient;
  let issuer: TestIssuer;
  let db: TestDatabase;
  let target: TestDatabase;
  let app: INestApplication;
  let kafka: Kafka;
  let genuine: RequestServicePublisher;
  let reader: Awaited<ReturnType<typeof collectResults>>;
  let dead: { reason: string; ceId: string }[];
  let stopDead: () => Promise<void>;
  const alarms: Record<string, unknown>[] = [];
  const role = unique('app_readonly');
  const on = { connector: 'postgres' as const, target: role };

  beforeAll(async () => {
    const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array) => boolean;
    jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      const line = chunk.toString();
      if (!line.startsWith('{"time"')) return write(chunk);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (typeof parsed.msg === 'string' && parsed.msg.startsWith('security alarm')) alarms.push(parsed);
      return true;
    }) as typeof process.stdout.write);
    [broker, eventstore, issuer, db, target] = await Promise.all([startTestKafka(), startTestEventStore(), startTestIssuer(), createTestDatabase('forged'), createTestDatabase('ftarget')]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(broker.brokers);
    await sql(target.url, `CREATE ROLE ${role} NOLOGIN`);
    const cfg = loadConfig(config, {
      ...authEnv(issuer),
      ...messageKeysEnv('provisioning-connector'),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      EVENTSTORE_URL: eventstore.connectionString,
      TARGET_POSTGRES_URL: target.url,
      LOG_LEVEL: 'info',
      JOB_POLL_MS: '100',
    });
    app = await createServiceApp(ProvisioningConnectorModule.forRoot(cfg), { title: 'provisioning', description: 'test' });
    await app.init();
    await startProvisioningInbox(app);
    kafka = kafkaClient(broker.brokers);
    esdb = EventStoreDBClient.connectionString(eventstore.connectionString);
    genuine = new RequestServicePublisher(kafka, esdb);
    reader = await collectResults(kafka);
    dead = [];
    const dlq = kafka.consumer({ groupId: unique('dlq-reader') });
    await dlq.connect();
    await dlq.subscribe({ topic: 'provisioning-connector.dlq', fromBeginning: true });
    await dlq.run({
      eachMessage: async ({ message }) => {
        dead.push({ reason: headerValue(message.headers, 'x-kairos-dlq-reason') ?? '', ceId: headerValue(message.headers, 'ce_id') ?? '' });
      },
    });
    stopDead = () => dlq.disconnect();
  }, 120_000);

  afterAll(async () => {
    await stopDead?.();
    await reader?.stop();
    await genuine?.disconnect();
    await app?.close();
    await esdb?.dispose();
    await Promise.all([db?.drop(), target?.drop()]);
    await sql(process.env.KAIROS_TEST_PG_URL!, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await Promise.all([broker?.close(), eventstore?.close(), issuer?.close()]);
    jest.restoreAllMocks();
  });

  /** Sends one record straight to the topic with kafkajs, as an attacker would. */
  async function sendRaw(message: OutgoingMessage, sign?: MessageSigner): Promise<void> {
    const record = toKafkaMessage(message);
    const headers = sign ? { ...record.headers, ...sign.signatureHeaders(message.topic, record) } : record.headers;
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: message.topic, messages: [{ ...record, headers }] });
    } finally {
      await producer.disconnect();
    }
  }

  /** A genuine grant afterwards, on the same partition, proves the consumer went on past the forgery. */
  async function genuineGrantGoesThrough(requestId: string): Promise<void> {
    const next = grantRequested({ subjectId: unique('genuine'), target: on, requestId });
    await genuine.publish([event('GrantRequested', next)]);
    await eventually(async () => reader.results.some((r) => r.data.grantId === next.grantId && r.type === 'GrantSucceeded'), 'the genuine grant');
    expect(await isMember(target.url, role, identityRoleName(next.subject.id))).toBe(true);
  }

  async function refused(ceId: string, reason: RegExp, grantId: string, subjectId: string): Promise<void> {
    await eventually(async () => dead.some((d) => d.ceId === ceId), `${ceId} dead-lettered`);
    expect(dead.find((d) => d.ceId === ceId)!.reason).toMatch(reason);
    expect(reader.results.filter((r) => r.data.grantId === grantId)).toEqual([]);
    expect(await isMember(target.url, role, identityRoleName(subjectId))).toBe(false);
  }

  it('refuses a forged GrantRequested for a request that does not exist, written unsigned straight to access-request.events', async () => {
    const forged = grantRequested({ subjectId: unique('mallory'), target: on });
    const message = event('GrantRequested', forged);
    await sendRaw(message);
    await genuineGrantGoesThrough(forged.requestId);
    await refused(message.id, /^authentication: unsigned: /, forged.grantId, forged.subject.id);
    expect(alarms).toEqual(expect.arrayContaining([expect.objectContaining({ alarm: 'message_authentication', refusal: 'unsigned', topic: TOPICS.accessRequestEvents })]));
  });

  it('refuses a forged GrantRequested signed with a key of its own making under the request service key id', async () => {
    const forged = grantRequested({ subjectId: unique('mallory'), target: on });
    const message = event('GrantRequested', forged);
    const impostor = generateTestMessageKeys().keys['request-service'];
    await sendRaw(message, MessageSigner.of({ keyId: testMessageKeys().keys['request-service'].keyId, privateKeyPem: impostor.privateKeyPem }));
    await genuineGrantGoesThrough(forged.requestId);
    await refused(message.id, /^authentication: bad_signature: /, forged.grantId, forged.subject.id);
  });

  it("refuses a forged GrantRequested signed with another service's genuine key (a compromised expiry scheduler)", async () => {
    const forged = grantRequested({ subjectId: unique('mallory'), target: on });
    const message = event('GrantRequested', forged);
    await sendRaw(message, MessageSigner.of(testMessageKeys().keys['expiry-scheduler']));
    await genuineGrantGoesThrough(forged.requestId);
    await refused(message.id, /^authentication: wrong_producer: key "expiry-scheduler-\w+" belongs to expiry-scheduler, but only request-service may produce on access-request\.events$/, forged.grantId, forged.subject.id);
  });

  it('refuses a validly signed GrantRequested that the request stream never recorded (a stolen request-service key)', async () => {
    const forged = grantRequested({ subjectId: unique('mallory'), target: on });
    const message = event('GrantRequested', forged);
    await sendRaw(message, MessageSigner.of(testMessageKeys().keys['request-service']));
    await genuineGrantGoesThrough(unique('other-request'));
    await refused(message.id, new RegExp(`^not asked for by the request stream: request ${forged.requestId} has no GrantRequested on its stream$`), forged.grantId, forged.subject.id);
    expect(alarms).toEqual(expect.arrayContaining([expect.objectContaining({ alarm: 'request_stream_mismatch', grantId: forged.grantId })]));
  });

  it('refuses a validly signed GrantRequested that swaps the subject of a grant the stream did record', async () => {
    const recorded = grantRequested({ subjectId: unique('alice'), target: on });
    await genuine.publish([event('GrantRequested', recorded)]);
    await eventually(async () => reader.results.some((r) => r.data.grantId === recorded.grantId && r.type === 'GrantSucceeded'), 'the recorded grant');
    const swapped = { ...recorded, subject: { id: unique('mallory'), kind: 'person' as const } };
    const message = event('GrantRequested', swapped);
    await sendRaw(message, MessageSigner.of(testMessageKeys().keys['request-service']));
    await eventually(async () => dead.some((d) => d.ceId === message.id), 'the swapped grant dead-lettered');
    expect(dead.find((d) => d.ceId === message.id)!.reason).toMatch(/differs from the stream's/);
    expect(await isMember(target.url, role, identityRoleName(swapped.subject.id))).toBe(false);
    expect(await isMember(target.url, role, identityRoleName(recorded.subject.id))).toBe(true);
  });

  it('counts every refusal in its metrics', async () => {
    const text = await app.get(ServiceMetrics).registry.getSingleMetricAsString('kairos_messages_refused_total');
    for (const refusal of ['unsigned', 'bad_signature', 'wrong_producer']) expect(text).toMatch(new RegExp(`topic="access-request.events",refusal="${refusal}".*\\} [1-9]`));
  });
});
