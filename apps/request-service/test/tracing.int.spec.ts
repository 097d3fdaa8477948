import { EventStoreDBClient } from '@eventstore/db-client';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import request from 'supertest';
import { startTracing, type TracingHandle } from '@kairos/observability';
import { startTwoServices } from './two-services';

/**
 * One request's trace, end to end, with the real OpenTelemetry SDK (spans kept in memory instead of
 * sent to a collector) and the real services: request-service and approval-policy-service on
 * PostgreSQL, the project's EventStoreDB and Kafka servers.
 */
describe('one trace across every hop of a submission', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: TracingHandle;
  let platform: Awaited<ReturnType<typeof startTwoServices>>;
  let esdb: EventStoreDBClient;
  let alice: string;

  beforeAll(async () => {
    // Before any service is built: both share this process's provider, as each would have its own.
    tracing = startTracing({ enabled: true, exporter: 'none', serviceName: 'kairos-test' }, { exporter });
    platform = await startTwoServices();
    esdb = EventStoreDBClient.connectionString(platform.eventstore.connectionString);
    alice = await platform.issuer.token('alice', ['requester']);
  }, 180_000);

  afterAll(async () => {
    await esdb?.dispose();
    await platform?.close();
    await tracing?.shutdown();
  }, 120_000);

  const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  async function until<T>(what: string, read: () => T | undefined, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = read();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; spans: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('links HTTP in, the policy call, the EventStoreDB append, the relay publish and the policy service consuming the event under the caller trace', async () => {
    const callerTrace = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const callerSpan = '1122334455667788';
    const res = await request(platform.app.getHttpServer())
      .post('/v1/access-requests')
      .set('authorization', `Bearer ${alice}`)
      .set('traceparent', `00-${callerTrace}-${callerSpan}-01`)
      .send({ items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'INC-7: trace me', duration: 'PT1H' });
    expect(res.status).toBe(201);
    const requestId = res.body.requestId as string;
    // The response names the service's own span in the caller's trace.
    expect(res.headers.traceparent).toMatch(new RegExp(`^00-${callerTrace}-[\\da-f]{16}-01$`));

    // The last hop: the policy service's consumer handled the AccessRequested event of this request.
    const consumed = await until('the policy service to consume AccessRequested', () =>
      spansOf(callerTrace).find(
        (span) =>
          span.kind === SpanKind.CONSUMER &&
          span.attributes['messaging.consumer.group.name'] === 'approval-policy-service' &&
          span.attributes['kairos.message.type'] === 'AccessRequested',
      ),
    );

    const spans = spansOf(callerTrace);
    const one = (what: string, match: (span: ReadableSpan) => boolean) => {
      const found = spans.filter(match);
      if (found.length !== 1) throw new Error(`expected one ${what} span, found ${found.length}: ${spans.map((s) => `${s.name}/${s.kind}`).join(', ')}`);
      return found[0]!;
    };
    const httpIn = one('request-service HTTP', (s) => s.kind === SpanKind.SERVER && s.name === 'POST /v1/access-requests');
    const policyCall = one('policy client', (s) => s.kind === SpanKind.CLIENT && s.name === 'POST /v1/policy/evaluations');
    const policyIn = one('policy service HTTP', (s) => s.kind === SpanKind.SERVER && s.name === 'POST /v1/policy/evaluations');
    const append = one('append', (s) => s.name === 'eventstore append' && s.attributes['db.collection.name'] === `access-request-${requestId}`);
    const publish = one('relay publish', (s) => s.kind === SpanKind.PRODUCER && s.attributes['kairos.message.type'] === 'AccessRequested');

    // One trace, and each hop is the child of the one before it.
    expect(parentOf(httpIn)).toBe(callerSpan);
    expect(res.headers.traceparent).toBe(`00-${callerTrace}-${httpIn.spanContext().spanId}-01`);
    expect(parentOf(policyCall)).toBe(httpIn.spanContext().spanId);
    expect(policyCall.attributes['http.response.status_code']).toBe(200);
    expect(parentOf(policyIn)).toBe(policyCall.spanContext().spanId);
    expect(parentOf(append)).toBe(httpIn.spanContext().spanId);
    expect(parentOf(publish)).toBe(append.spanContext().spanId);
    expect(publish.attributes['messaging.destination.name']).toBe('access-request.events');
    expect(parentOf(consumed)).toBe(publish.spanContext().spanId);
    expect(consumed.attributes['messaging.destination.name']).toBe('access-request.events');
    for (const span of [httpIn, policyCall, policyIn, append, publish, consumed]) expect(span.status.code).not.toBe(2);

    // The append's trace context is in the event's metadata; the data is the published shape, untouched.
    const [recorded] = await (async () => {
      const events = [];
      for await (const resolved of esdb.readStream(`access-request-${requestId}`, { maxCount: 1 })) events.push(resolved.event!);
      return events;
    })();
    expect(recorded!.type).toBe('AccessRequested');
    expect((recorded!.metadata as Record<string, unknown>).traceparent).toBe(`00-${callerTrace}-${append.spanContext().spanId}-01`);
    expect(JSON.stringify(recorded!.data)).not.toContain(callerTrace);
  });

  it('starts a new trace for a caller without one, and each request gets its own', async () => {
    const submit = () =>
      request(platform.app.getHttpServer())
        .post('/v1/access-requests')
        .set('authorization', `Bearer ${alice}`)
        .send({ items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'INC-8: no caller trace', duration: 'PT1H' });
    const [first, second] = [await submit(), await submit()];
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    const traceOf = (res: request.Response) => /^00-([\da-f]{32})-[\da-f]{16}-01$/.exec(res.headers.traceparent as string)?.[1];
    expect(traceOf(first)).toBeDefined();
    expect(traceOf(second)).toBeDefined();
    expect(traceOf(first)).not.toBe(traceOf(second));
    await until('the second request to reach the policy service consumer', () =>
      spansOf(traceOf(second)!).find((span) => span.kind === SpanKind.CONSUMER && span.attributes['messaging.consumer.group.name'] === 'approval-policy-service'),
    );
  });

  it('ignores a malformed traceparent on a submission: a new trace, never a 500', async () => {
    const res = await request(platform.app.getHttpServer())
      .post('/v1/access-requests')
      .set('authorization', `Bearer ${alice}`)
      .set('traceparent', '00-zzzz-not-a-trace-01')
      .send({ items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'INC-9: bad header', duration: 'PT1H' });
    expect(res.status).toBe(201);
    expect(res.headers.traceparent).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-01$/);
  });
});
