import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { loadConfig } from '@kairos/config';
import { createServiceApp } from '@kairos/http';
import { authEnv, createTestDatabase, messageKeysEnv, startTestEventStore, startTestIssuer, startTestKafka, type TestDatabase, type TestIssuer } from '@kairos/testing';
// The real neighbouring service runs in-process here; only tests reach across apps.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ApprovalPolicyServiceModule } from '../../approval-policy-service/src/approval-policy-service.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { config as policyConfigSpec } from '../../approval-policy-service/src/config';
import { config as requestConfigSpec } from '../src/config';
import { RequestServiceModule } from '../src/request-service.module';
import { ensureKairosTopics } from '@kairos/messaging';

/**
 * request-service with the real approval-policy service beside it, each on its own database, on the
 * project's EventStoreDB and Kafka servers; `alice` may request `orders-db` (tier 0, automatic).
 */
export async function startTwoServices() {
  const [requestDb, policyDb, kafkaBroker, eventstore, issuer]: [TestDatabase, TestDatabase, Awaited<ReturnType<typeof startTestKafka>>, Awaited<ReturnType<typeof startTestEventStore>>, TestIssuer] =
    await Promise.all([createTestDatabase(), createTestDatabase(), startTestKafka(), startTestEventStore(), startTestIssuer()]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(kafkaBroker.brokers);
  const common = { ...authEnv(issuer), KAFKA_BROKERS: kafkaBroker.brokers.join(','), LOG_LEVEL: 'error', PORT: '0', EVENTSTORE_URL: eventstore.connectionString };
  const policyApp: INestApplication = await createServiceApp(
    ApprovalPolicyServiceModule.forRoot(loadConfig(policyConfigSpec, { ...common, DATABASE_URL: policyDb.url, ...messageKeysEnv('approval-policy-service') })),
    { title: 'policy', description: 'policy' },
  );
  await policyApp.listen(0, '127.0.0.1');
  await ApprovalPolicyServiceModule.startInbox(policyApp);
  const policyUrl = `http://127.0.0.1:${policyApp.getHttpServer().address().port}`;
  const app: INestApplication = await createServiceApp(
    RequestServiceModule.forRoot(loadConfig(requestConfigSpec, { ...common, DATABASE_URL: requestDb.url, ...messageKeysEnv('request-service'), APPROVAL_POLICY_URL: policyUrl })),
    { title: 'requests', description: 'requests' },
  );
  await RequestServiceModule.startInbox(app);
  const adminToken = await issuer.token('admin', ['admin']);
  const policy = (path: string, body: object) => request(policyApp.getHttpServer()).post(path).set('authorization', `Bearer ${adminToken}`).send(body);
  for (const identity of [
    { id: 'alice', kind: 'person', displayName: 'Alice' },
    { id: 'bob', kind: 'person', displayName: 'Bob' },
  ]) {
    if ((await policy('/v1/identities', identity)).status !== 201) throw new Error(`could not create ${identity.id}`);
  }
  const resource = { id: 'orders-db', name: 'Orders', connector: 'postgres', target: 'orders_readonly', owners: ['bob'], allowedRoles: ['readonly'], tier: 0 };
  if ((await policy('/v1/resources', resource)).status !== 201) throw new Error('could not create orders-db');
  return {
    app,
    policyApp,
    requestDb,
    policyDb,
    kafkaBroker,
    eventstore,
    issuer,
    async close() {
      await app.close();
      await policyApp.close();
      await Promise.all([kafkaBroker.close(), eventstore.close(), issuer.close()]);
      await requestDb.drop();
      await policyDb.drop();
    },
  };
}
