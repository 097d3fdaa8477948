import { JsonLogger } from './logger';
import { contextFromTraceparent, startTracing, traceHeaders, withSpan, type TracingHandle } from './tracing';

/**
 * The default (no exporter configured): spans are not recorded, since nothing would read them, but
 * every span still has ids, so logs carry a trace id and the W3C context still crosses each hop.
 * Its own file: the tracer provider is registered once per process.
 */
describe('tracing with nothing to export (the default)', () => {
  let tracing: TracingHandle;
  beforeAll(() => {
    tracing = startTracing({ enabled: true, exporter: 'none', serviceName: 'unexported' });
  });
  afterAll(() => tracing.shutdown());

  it('records no span it starts itself, yet gives it ids that reach the logs and the next hop', async () => {
    const lines: string[] = [];
    const logger = new JsonLogger('unit', 'info', (line) => lines.push(line));
    const seen = await withSpan('root work', {}, async (span) => {
      logger.log('inside');
      return { recording: span.isRecording(), ids: span.spanContext(), headers: traceHeaders() };
    });
    expect(seen.recording).toBe(false);
    expect(seen.ids.traceId).toMatch(/^[\da-f]{32}$/);
    expect(seen.ids.traceId).not.toBe('0'.repeat(32));
    expect(JSON.parse(lines[0]!)).toMatchObject({ trace_id: seen.ids.traceId, span_id: seen.ids.spanId });
    expect(seen.headers).toEqual({ traceparent: `00-${seen.ids.traceId}-${seen.ids.spanId}-00` });
  });

  it('continues the trace of an incoming unsampled traceparent without recording', async () => {
    const parent = contextFromTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
    const seen = await withSpan('hop', { parent }, async (span) => ({ recording: span.isRecording(), traceId: span.spanContext().traceId }));
    expect(seen).toEqual({ recording: false, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
  });

  it('still honours a sampled parent from upstream (its trace goes on being sampled downstream)', async () => {
    const parent = contextFromTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    const seen = await withSpan('hop', { parent }, async (span) => ({ recording: span.isRecording(), traceId: span.spanContext().traceId, headers: traceHeaders() }));
    expect(seen.recording).toBe(true);
    expect(seen.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(seen.headers.traceparent).toMatch(/-01$/);
  });
});
