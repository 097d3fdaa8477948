import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Consumer } from 'kafkajs';
import { loadConfig } from '@kairos/config';
import { TOPICS } from '@kairos/contracts';
import { createServiceApp } from '@kairos/http';
import { headerValue, ensureKairosTopics } from '@kairos/messaging';
import { startTracing, type TracingHandle } from '@kairos/observability';
import { authEnv, createTestDatabase, eventually, messageKeysEnv, startTestEventStore, startTestIssuer, startTestKafka, type TestDatabase, type TestIssuer } from '@kairos/testing';
import { config } from '../src/config';
import { ProvisioningConnectorModule } from '../src/provisioning-connector.module';
import { startProvisioningInbox } from '../src/adapters/kafka/provisioning.runtime';
import { event, grantRequested, kafkaClient, RequestServicePublisher, unique } from './fixtures';

/**
 * The connector's part of a request's trace, with the real OpenTelemetry SDK (spans in memory) and
 * the real connector on PostgreSQL, the project's Kafka and EventStoreDB servers, calling a webhook
 * target served here: GrantRequested in, the job's attempt, the call to the target, the results out.
 */
describe('provisioning-connector: one trace from GrantRequested to its results', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: TracingHandle;
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let issuer: TestIssuer;
  let db: TestDatabase;
  let target: TestDatabase;
  let esdb: EventStoreDBClient;
  let app: INestApplication;
  let publisher: RequestServicePublisher;
  let webhook: Server;
  let resultsReader: Consumer;
  const webhookTraceparents: string[] = [];
  const results: { type: string; grantId: string; traceparent?: string }[] = [];
  const secret = randomBytes(16).toString('hex');

  beforeAll(async () => {
    tracing = startTracing({ enabled: true, exporter: 'none', serviceName: 'kairos-test' }, { exporter });
    [broker, eventstore, issuer, db, target] = await Promise.all([startTestKafka(), startTestEventStore(), startTestIssuer(), createTestDatabase('prov'), createTestDatabase('target')]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(broker.brokers);
    webhook = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        webhookTraceparents.push(String(req.headers.traceparent ?? ''));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ state: 'present' }));
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const cfg = loadConfig(config, {
      ...authEnv(issuer),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      EVENTSTORE_URL: eventstore.connectionString,
      ...messageKeysEnv('provisioning-connector'),
      TARGET_POSTGRES_URL: target.url,
      WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/kairos`,
      WEBHOOK_SECRET: secret,
      LOG_LEVEL: 'error',
      JOB_POLL_MS: '100',
    });
    app = await createServiceApp(ProvisioningConnectorModule.forRoot(cfg), { title: 'provisioning', description: 'test' });
    await app.init();
    await startProvisioningInbox(app);
    esdb = EventStoreDBClient.connectionString(eventstore.connectionString);
    publisher = new RequestServicePublisher(kafkaClient(broker.brokers), esdb);
    resultsReader = kafkaClient(broker.brokers).consumer({ groupId: unique('results-reader') });
    await resultsReader.connect();
    await resultsReader.subscribe({ topic: TOPICS.provisioningResults, fromBeginning: true });
    await resultsReader.run({
      eachMessage: async ({ message }) => {
        results.push({
          type: headerValue(message.headers, 'ce_type') ?? '',
          grantId: (JSON.parse(message.value!.toString()) as { grantId: string }).grantId,
          traceparent: headerValue(message.headers, 'traceparent'),
        });
      },
    });
  }, 180_000);

  afterAll(async () => {
    await resultsReader?.disconnect();
    await publisher?.disconnect();
    await app?.close();
    await new Promise((resolve) => webhook?.close(resolve));
    await esdb?.dispose();
    await Promise.all([db?.drop(), target?.drop()]);
    await Promise.all([broker?.close(), eventstore?.close(), issuer?.close()]);
    await tracing?.shutdown();
  }, 60_000);

  it('continues the relay trace through the consumer, the attempt, the webhook call (traceparent sent) and the published results', async () => {
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const relaySpan = 'b7ad6b7169203331';
    const grant = grantRequested({ subjectId: unique('alice'), target: { connector: 'webhook', target: 'crm' } });
    await publisher.publish([{ ...event('GrantRequested', grant), traceparent: `00-${callerTrace}-${relaySpan}-01` }]);

    const succeeded = await eventually(async () => results.find((r) => r.grantId === grant.grantId && r.type === 'GrantSucceeded'), 'GrantSucceeded', 120_000);
    const spans = () => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === callerTrace);
    const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
    // Every span of the connector's part has ended once its result was published.
    const resultPublish = await eventually(
      async () => spans().find((s) => s.kind === SpanKind.PRODUCER && s.attributes['kairos.message.type'] === 'GrantSucceeded'),
      'the GrantSucceeded producer span',
    );
    const grantPublish = spans().find((s) => s.kind === SpanKind.PRODUCER && s.attributes['kairos.message.type'] === 'GrantRequested')!;
    const consume = spans().find((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.consumer.group.name'] === 'provisioning-connector')!;
    const attempt = spans().find((s) => s.name === 'provisioning grant')!;
    const call = spans().find((s) => s.kind === SpanKind.CLIENT && s.name === 'webhook grant')!;

    expect(parentOf(grantPublish)).toBe(relaySpan);
    expect(parentOf(consume)).toBe(grantPublish.spanContext().spanId);
    expect(parentOf(attempt)).toBe(consume.spanContext().spanId);
    expect(parentOf(call)).toBe(attempt.spanContext().spanId);
    expect(parentOf(resultPublish)).toBe(attempt.spanContext().spanId);
    // The target was told the trace of the call, and the result record names its producer span,
    // which the request service's recorder continues (its consumer is the same IdempotentConsumer).
    expect(webhookTraceparents).toContain(`00-${callerTrace}-${call.spanContext().spanId}-01`);
    expect(succeeded.traceparent).toBe(`00-${callerTrace}-${resultPublish.spanContext().spanId}-01`);
    // ProvisioningStarted, published before the attempt, continues the trace the job was recorded in.
    const started = results.find((r) => r.grantId === grant.grantId && r.type === 'ProvisioningStarted');
    expect(started?.traceparent?.slice(3, 35)).toBe(callerTrace);
  });
});
