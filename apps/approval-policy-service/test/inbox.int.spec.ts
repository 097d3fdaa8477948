import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { loadConfig } from '@kairos/config';
import { createServiceApp } from '@kairos/http';
import { ensureKairosTopics } from '@kairos/messaging';
import {
  authEnv,
  createTestDatabase,
  eventually,
  messageKeysEnv,
  startTestEventStore,
  startTestIssuer,
  startTestKafka,
  type TestDatabase,
  type TestIssuer,
} from '@kairos/testing';
import { ApprovalPolicyServiceModule } from '../src/approval-policy-service.module';
import { config } from '../src/config';

// The service's Kafka side (the copy of requests, the relay that sends reviews) runs only once its
// inbox is started (ApprovalPolicyServiceModule.startInbox, from main.ts): until then it is not ready.
describe('approval-policy-service: its Kafka inbox', () => {
  let issuer: TestIssuer;
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let db: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    [issuer, broker, db, eventstore] = await Promise.all([startTestIssuer(), startTestKafka(), createTestDatabase(), startTestEventStore()]);
    await ensureKairosTopics(broker.brokers);
    const settings = loadConfig(config, {
      ...authEnv(issuer),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      EVENTSTORE_URL: eventstore.connectionString,
      PORT: '0',
      LOG_LEVEL: 'error',
      ...messageKeysEnv('approval-policy-service'),
    });
    app = await createServiceApp(ApprovalPolicyServiceModule.forRoot(settings), { title: 'test', description: 'test' });
    await app.init();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all([broker?.close(), eventstore?.close(), issuer?.close()]);
    await db?.drop();
  }, 60_000);

  it('is not ready until its inbox is started, naming the inbox; ready once the consumer joined its group', async () => {
    const before = await request(app.getHttpServer()).get('/health/ready');
    expect(before.status).toBe(503);
    expect(before.body.checks['request-events-inbox']).toMatchObject({ ok: false });
    expect(JSON.stringify(before.body.checks['request-events-inbox'])).toContain('ApprovalPolicyServiceModule.startInbox');

    await ApprovalPolicyServiceModule.startInbox(app);
    const after = await eventually(async () => {
      const res = await request(app.getHttpServer()).get('/health/ready');
      return res.status === 200 && res;
    }, 'the service ready with its inbox started', 120_000);
    expect(after.body.checks).toMatchObject({ 'request-events-inbox': { ok: true }, 'kafka-consumer:approval-policy-service': { ok: true } });
  }, 180_000);
});
