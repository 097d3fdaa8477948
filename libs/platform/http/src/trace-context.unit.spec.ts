import express from 'express';
import request from 'supertest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { JsonLogger, ServiceMetrics, startTracing, traceHeaders, type TracingHandle } from '@kairos/observability';
import { correlationMiddleware } from './correlation.middleware';

const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING = `00-${INCOMING_TRACE}-00f067aa0ba902b7-01`;
const TRACEPARENT = /^00-([\da-f]{32})-([\da-f]{16})-01$/;

/** The span ends when the response finished, which the client may see first: wait for it, never sleep a fixed time. */
async function until<T>(read: () => T | undefined): Promise<T> {
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('trace context at the HTTP edge', () => {
  const exporter = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  let tracing: TracingHandle;
  let app: express.Express;

  beforeAll(() => {
    tracing = startTracing({ enabled: true, exporter: 'none', serviceName: 'edge-unit' }, { exporter });
    const logger = new JsonLogger('edge-unit', 'info', (line) => lines.push(JSON.parse(line)));
    app = express();
    app.use(correlationMiddleware(new ServiceMetrics('edge-unit'), logger));
    // What the handler sees as the current trace is what an outgoing call would carry.
    app.get('/v1/things/:id', async (_req, res) => {
      await new Promise((resolve) => setImmediate(resolve));
      res.json({ outgoing: traceHeaders() });
    });
  });
  afterAll(() => tracing.shutdown());
  beforeEach(() => {
    exporter.reset();
    lines.length = 0;
  });

  it('continues the caller trace: the server span is a child of the incoming traceparent, and the response carries it', async () => {
    const res = await request(app).get('/v1/things/t1').set('traceparent', INCOMING);
    expect(res.status).toBe(200);
    const [, traceId, spanId] = TRACEPARENT.exec(res.headers.traceparent as string) ?? [];
    expect(traceId).toBe(INCOMING_TRACE);
    expect(res.body.outgoing.traceparent).toBe(res.headers.traceparent);
    const span = await until(() => exporter.getFinishedSpans()[0]);
    expect(span).toMatchObject({ name: 'GET /v1/things/:id', kind: 1 });
    expect(span!.spanContext().spanId).toBe(spanId);
    expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  it.each([
    ['garbage', 'garbage'],
    ['a wrong version', `ff-${INCOMING_TRACE}-00f067aa0ba902b7-01`],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['too long', `${INCOMING}${'0'.repeat(4_000)}`],
  ])('ignores a malformed traceparent (%s): a new trace, not a 500', async (_name, traceparent) => {
    const res = await request(app).get('/v1/things/t1').set('traceparent', traceparent);
    expect(res.status).toBe(200);
    const [, traceId] = TRACEPARENT.exec(res.headers.traceparent as string) ?? [];
    expect(traceId).toMatch(/^[\da-f]{32}$/);
    expect(traceId).not.toBe(INCOMING_TRACE);
    expect(traceId).not.toBe('0'.repeat(32));
    const span = await until(() => exporter.getFinishedSpans()[0]);
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.spanContext().traceId).toBe(traceId);
  });

  it('starts a new trace when the caller sends none', async () => {
    const res = await request(app).get('/v1/things/t1');
    expect(res.status).toBe(200);
    expect(res.headers.traceparent).toMatch(TRACEPARENT);
  });

  it('writes one access log line per request: method, route pattern, status, duration, trace id; never the query, a token or the body', async () => {
    const res = await request(app)
      .get('/v1/things/t1?access_token=secret-in-query')
      .set('authorization', 'Bearer secret-token-value')
      .set('traceparent', INCOMING);
    await request(app).post('/nowhere').send({ password: 'secret-in-body' });
    expect(res.status).toBe(200);
    const access = await until(() => {
      const found = lines.filter((line) => line.msg === 'http request');
      return found.length >= 2 ? found : undefined;
    });
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({ level: 'info', method: 'GET', route: '/v1/things/:id', status: 200, trace_id: INCOMING_TRACE });
    expect(typeof access[0]!.durationMs).toBe('number');
    expect(access[1]).toMatchObject({ method: 'POST', route: 'unmatched', status: 404 });
    const written = JSON.stringify(lines);
    expect(written).not.toMatch(/secret-in-query|secret-token-value|secret-in-body|access_token/);
  });
});
