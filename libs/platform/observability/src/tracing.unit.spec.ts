import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { JsonLogger } from './logger';
import { contextFromTraceparent, currentTraceIds, startTracing, traceHeaders, traceparentOf, tracingSettings, withSpan, type TracingHandle } from './tracing';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('tracing settings (the standard OTEL_* variables)', () => {
  it('exports nothing unless asked: no exporter, no endpoint', () => {
    expect(tracingSettings('request-service', {}).settings).toEqual({ enabled: true, exporter: 'none', serviceName: 'request-service' });
  });

  it('exports over OTLP when an endpoint is set, or when OTEL_TRACES_EXPORTER says so', () => {
    expect(tracingSettings('x', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).settings?.exporter).toBe('otlp');
    expect(tracingSettings('x', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces' }).settings?.exporter).toBe('otlp');
    expect(tracingSettings('x', { OTEL_TRACES_EXPORTER: 'otlp' }).settings?.exporter).toBe('otlp');
    expect(tracingSettings('x', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).settings?.exporter).toBe('none');
    expect(tracingSettings('x', { OTEL_SERVICE_NAME: 'requests-eu' }).settings?.serviceName).toBe('requests-eu');
    expect(tracingSettings('x', { OTEL_SDK_DISABLED: 'true' }).settings?.enabled).toBe(false);
  });

  it('names each bad variable instead of starting with a guess', () => {
    const { settings, problems } = tracingSettings('x', { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_SDK_DISABLED: 'yes' });
    expect(settings).toBeUndefined();
    expect(problems.join('\n')).toMatch(/OTEL_TRACES_EXPORTER/);
    expect(problems.join('\n')).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(problems.join('\n')).toMatch(/OTEL_SDK_DISABLED/);
  });
});

describe('trace context', () => {
  let tracing: TracingHandle;
  const exporter = new InMemorySpanExporter();

  beforeAll(() => {
    tracing = startTracing({ enabled: true, exporter: 'none', serviceName: 'unit' }, { exporter });
  });
  afterAll(() => tracing.shutdown());

  it('continues a valid traceparent', () => {
    const ctx = contextFromTraceparent(VALID);
    expect(trace.getSpanContext(ctx)).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', isRemote: true });
    expect(traceparentOf(ctx)).toBe(VALID);
  });

  it.each([
    ['garbage', 'not-a-traceparent'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['an all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
    ['a trailing field smuggled in', `${VALID}-extra`],
    ['a huge value', `00-${'a'.repeat(10_000)}-00f067aa0ba902b7-01`],
  ])('ignores %s: the next span starts a new trace', async (_name, traceparent) => {
    const ctx = contextFromTraceparent(traceparent);
    expect(trace.getSpanContext(ctx)).toBeUndefined();
    const traceId = await withSpan('work', { parent: ctx }, (span) => span.spanContext().traceId);
    expect(traceId).toMatch(/^[\da-f]{32}$/);
    expect(traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('makes a child span of the incoming one, active across awaits, and puts its ids in log lines', async () => {
    exporter.reset();
    const lines: string[] = [];
    const logger = new JsonLogger('unit', 'info', (line) => lines.push(line));
    const seen = await withSpan('outer', { parent: contextFromTraceparent(VALID) }, async (span) => {
      await new Promise((resolve) => setImmediate(resolve));
      logger.log('inside');
      return { spanId: span.spanContext().spanId, headers: traceHeaders() };
    });
    logger.log('outside');
    const [inside, outside] = lines.map((line) => JSON.parse(line));
    expect(inside).toMatchObject({ msg: 'inside', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: seen.spanId });
    expect(outside.trace_id).toBeUndefined();
    expect(seen.headers).toEqual({ traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-${seen.spanId}-01` });
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(currentTraceIds()).toBeUndefined();
    expect(trace.getSpan(context.active())).toBeUndefined();
  });

  it('marks a span failed with the error message and rethrows', async () => {
    exporter.reset();
    await expect(withSpan('failing', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const [failed] = exporter.getFinishedSpans();
    expect(failed?.status).toMatchObject({ code: 2, message: 'boom' });
  });
});
