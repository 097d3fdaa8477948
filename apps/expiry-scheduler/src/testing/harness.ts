import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import request from 'supertest';
import { loadConfig, messageKeys } from '@kairos/config';
import { TOPICS, type AccessRequestEvent, type TimerFired } from '@kairos/contracts';
import { createServiceApp } from '@kairos/http';
import { bindMessageAuthentication, contractSchemas, headerValue, messageAuthentication, MessagePublisher, MessageSigner, ensureKairosTopics, startKafkaInbox } from '@kairos/messaging';
import {
  authEnv,
  createTestDatabase,
  eventually,
  messageKeysEnv,
  startTestIssuer,
  startTestKafka,
  type TestDatabase,
  type TestIssuer,
  testMessageKeys,
} from '@kairos/testing';
import type { Clock } from '@kairos/clock';
import { FiringLoop } from '../adapters/firing/firing-loop';
import { ExpiryMessaging } from '../adapters/kafka/expiry-messaging';
import { config } from '../config';
import { ExpirySchedulerModule } from '../expiry-scheduler.module';

export interface FiredMessage {
  readonly id: string;
  readonly key: string | null;
  readonly source: string | undefined;
  readonly data: TimerFired['data'];
  readonly receivedAt: number;
}

/** Real PostgreSQL, the local Kafka broker and a token issuer for one test file, plus a reader of expiry.events. */
export async function startHarness() {
  const broker = await startTestKafka();
  // Topics exist because setup made them: the services never create any (issue 14).
  await ensureKairosTopics(broker.brokers);
  const db: TestDatabase = await createTestDatabase('expiry');
  const issuer: TestIssuer = await startTestIssuer();
  const kafka = new Kafka({ clientId: 'expiry-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const publisher = new MessagePublisher(kafka, contractSchemas, MessageSigner.of(testMessageKeys().keys['request-service']));

  const fired: FiredMessage[] = [];
  const reader: Consumer = kafka.consumer({ groupId: `expiry-reader-${randomUUID()}` });
  await reader.connect();
  await reader.subscribe({ topic: TOPICS.expiryEvents, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      fired.push({
        id: headerValue(message.headers, 'ce_id') ?? '',
        key: message.key?.toString() ?? null,
        source: headerValue(message.headers, 'ce_source'),
        data: JSON.parse(message.value!.toString()),
        receivedAt: Date.now(),
      });
    },
  });

  const env = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: broker.brokers.join(','),
    LOG_LEVEL: 'warn',
    TIMER_MAX_SLEEP_MS: '200',
    ...authEnv(issuer),
    ...messageKeysEnv('expiry-scheduler'),
  };
  // The test's own client signs and verifies as the scheduler does (outbox relays and probes built on it).
  bindMessageAuthentication(kafka, messageAuthentication(messageKeys(loadConfig(config, env))));
  let app: INestApplication | undefined;

  const harness = {
    db,
    issuer,
    kafka,
    fired,
    env,
    get app(): INestApplication {
      if (!app) throw new Error('the expiry scheduler is not running');
      return app;
    },
    /** The firing loop of the running scheduler (tests stop, start and drive it). */
    get firing(): FiringLoop {
      return harness.app.get(FiringLoop);
    },
    async boot(clock: Clock): Promise<INestApplication> {
      const module = ExpirySchedulerModule.forRoot(loadConfig(config, env), { clock });
      app = await createServiceApp(module, { title: 'expiry-scheduler', description: 'test' });
      await app.init();
      // As main.ts does: the request-event consumer is the app's @EventPattern controller.
      await startKafkaInbox(app, app.get(ExpiryMessaging).runtime);
      return app;
    },
    async shutdown(): Promise<void> {
      await app?.close();
      app = undefined;
    },
    async publish(requestId: string, events: readonly AccessRequestEvent[]): Promise<void> {
      await publisher.publish(
        events.map((event) => ({
          topic: TOPICS.accessRequestEvents,
          key: requestId,
          id: randomUUID(),
          type: event.type,
          subject: requestId,
          time: new Date().toISOString(),
          source: 'urn:kairos:request-service',
          data: event.data,
        })),
      );
    },
    async timers(
      requestId: string,
      status = 'pending',
    ): Promise<{ kind: string; dueAt: string; status: string; grantId?: string; timerId: string; cancelledBy?: string }[]> {
      const token = await issuer.token('u-admin', ['admin']);
      const res = await request(harness.app.getHttpServer())
        .get('/v1/timers')
        .query({ requestId, status })
        .set('authorization', `Bearer ${token}`);
      if (res.status !== 200) throw new Error(`GET /v1/timers answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.timers;
    },
    /** Waits until the pending timers of the request are exactly `expected` (kind@dueAt, sorted). */
    async expectPending(requestId: string, expected: string[]): Promise<void> {
      const want = [...expected].sort();
      let last: string[] = [];
      await eventually(
        async () => {
          last = (await harness.timers(requestId)).map((t) => `${t.kind}@${t.dueAt}`).sort();
          return JSON.stringify(last) === JSON.stringify(want);
        },
        `pending timers of ${requestId} to be ${JSON.stringify(want)} (last seen ${JSON.stringify(last)})`,
      ).catch(() => {
        throw new Error(`pending timers of ${requestId}: expected ${JSON.stringify(want)}, last seen ${JSON.stringify(last)}`);
      });
    },
    firedFor(requestId: string): FiredMessage[] {
      return fired.filter((m) => m.data.requestId === requestId);
    },
    async close(): Promise<void> {
      await harness.shutdown();
      await reader.disconnect();
      await publisher.disconnect();
      await issuer.close();
      await db.drop();
      await broker.close();
    },
  };
  return harness;
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
