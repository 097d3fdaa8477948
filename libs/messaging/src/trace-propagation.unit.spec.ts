import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { generateMessageKey, type TrustedKey } from '@kairos/config';
import { TOPICS } from '@kairos/contracts';
import { startTracing, traceparentOf, withSpan, type TracingHandle } from '@kairos/observability';
import { MessageSigner, MessageVerifier } from './authentication';
import { fromKafkaMessage, toKafkaMessage, type OutgoingMessage, type ReceivedMessage } from './envelope';
import { startPublishSpans, withConsumeSpan } from './tracing';

const producerKey = generateMessageKey('request-service', 'request-service-1');
const signer = new MessageSigner(producerKey.keyId, createPrivateKey(producerKey.privateKeyPem));
const verifier = new MessageVerifier(new Map<string, TrustedKey>([[producerKey.keyId, { producer: 'request-service', publicKey: createPublicKey(producerKey.publicKeyPem) }]]));

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const message: OutgoingMessage = {
  topic: TOPICS.accessRequestEvents,
  key: 'req-1',
  id: 'evt-1',
  type: 'AccessRequested',
  subject: 'req-1',
  time: '2026-01-05T10:00:00.000Z',
  source: 'urn:kairos:request-service',
  data: { requestId: 'req-1' },
  traceparent: `00-${CALLER_TRACE}-00f067aa0ba902b7-01`,
};

/** The record as a consumer reads it off the wire: every header a Buffer. */
function onTheWire(outgoing: OutgoingMessage, edit: (headers: Record<string, string>) => void = () => undefined): KafkaMessage {
  const record = toKafkaMessage(outgoing);
  const headers: Record<string, string> = { ...(record.headers as Record<string, string>), ...signer.signatureHeaders(outgoing.topic, record) };
  edit(headers);
  const raw: KafkaMessage = {
    key: Buffer.from(String(record.key)),
    value: Buffer.from(String(record.value)),
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)])),
    offset: '7',
    timestamp: '0',
    attributes: 0,
  };
  return raw;
}

function received(raw: KafkaMessage): ReceivedMessage {
  const parsed = fromKafkaMessage(message.topic, 0, raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.message;
}

describe('trace context over Kafka', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: TracingHandle;
  beforeAll(() => {
    tracing = startTracing({ enabled: true, exporter: 'none', serviceName: 'kafka-unit' }, { exporter });
  });
  afterAll(() => tracing.shutdown());
  beforeEach(() => exporter.reset());

  it('sends each message in a producer span, child of the trace it carries, and names that span in the traceparent header', () => {
    const traced = startPublishSpans([message]);
    traced.end();
    const [span] = exporter.getFinishedSpans();
    expect(span).toMatchObject({ name: `publish ${TOPICS.accessRequestEvents}`, kind: SpanKind.PRODUCER });
    expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(traced.messages[0]!.traceparent).toBe(`00-${CALLER_TRACE}-${span!.spanContext().spanId}-01`);
    expect(toKafkaMessage(traced.messages[0]!).headers?.traceparent).toBe(traced.messages[0]!.traceparent);
  });

  it('continues the active trace for a message that carries none', async () => {
    const { traceparent: _none, ...bare } = message;
    const [inner, outer] = await withSpan('handler', {}, async () => [startPublishSpans([bare]).messages[0]!.traceparent, traceparentOf()]);
    expect(inner?.slice(3, 35)).toBe(outer?.slice(3, 35));
  });

  it('a genuine signed message with a traceparent header still verifies (the header is not in the signed statement)', () => {
    expect(verifier.verify(message.topic, onTheWire(message))).toMatchObject({ ok: true, producer: 'request-service' });
  });

  it('an attacker who rewrites the traceparent only moves a span: the message still verifies, and its id, type and data are still covered', () => {
    const rewritten = onTheWire(message, (headers) => (headers.traceparent = '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01'));
    expect(verifier.verify(message.topic, rewritten).ok).toBe(true);
    const forgedType = onTheWire(message, (headers) => (headers.ce_type = 'AccessApproved'));
    expect(verifier.verify(message.topic, forgedType)).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('handles a message in a consumer span that continues the producer trace', async () => {
    await withConsumeSpan('approval-policy-service', received(onTheWire(message)), async () => undefined);
    const [span] = exporter.getFinishedSpans();
    expect(span).toMatchObject({ name: `process ${TOPICS.accessRequestEvents}`, kind: SpanKind.CONSUMER });
    expect(span!.spanContext().traceId).toBe(CALLER_TRACE);
    expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span!.attributes).toMatchObject({ 'messaging.consumer.group.name': 'approval-policy-service', 'messaging.message.id': 'evt-1', 'messaging.kafka.offset': 7 });
  });

  it.each([
    ['garbage', 'not-a-traceparent'],
    ['two values', 'x'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
  ])('handles a message whose traceparent is malformed (%s) in a new trace: never refused for it', async (name, value) => {
    const raw = onTheWire(message, (headers) => (headers.traceparent = value));
    if (name === 'two values') raw.headers!.traceparent = [Buffer.from(value), Buffer.from(message.traceparent!)];
    expect(verifier.verify(message.topic, raw).ok).toBe(true);
    const handled = await withConsumeSpan('approval-policy-service', received(raw), async (span) => span.spanContext().traceId);
    const [span] = exporter.getFinishedSpans();
    expect(span!.parentSpanContext).toBeUndefined();
    expect(handled).toMatch(/^[\da-f]{32}$/);
    expect(handled).not.toBe(CALLER_TRACE);
  });

  it('never lets the context active where the batch is handled leak into a message without a traceparent', async () => {
    const { traceparent: _none, ...bare } = message;
    const raw = onTheWire(bare);
    const outer = await withSpan('poll loop', {}, async (loop) => {
      await withConsumeSpan('g', received(raw), async () => undefined);
      return loop.spanContext().traceId;
    });
    const consume = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.CONSUMER);
    expect(consume!.spanContext().traceId).not.toBe(outer);
  });
});
