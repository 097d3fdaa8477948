import { contextFromTraceparent, markFailed, SpanKind, startSpan, traceparentOf, withSpan, type Span } from '@kairos/observability';
import { context, trace } from '@opentelemetry/api';
import type { OutgoingMessage, ReceivedMessage } from './envelope';

/**
 * Trace context over Kafka (ADR 0027): the `traceparent` header of a record names the producer
 * span that sent it; each consumer continues that trace in a span per message. The header is not
 * covered by the message signature: it only links spans, nothing acts on it, and a malformed one
 * starts a new trace.
 */

/**
 * Opens one producer span per message (child of the trace the message carries, or of the active
 * span when it carries none) and returns the messages with their traceparent set to that span.
 * `end` closes them all once the broker answered.
 */
export function startPublishSpans(messages: readonly OutgoingMessage[]): { messages: OutgoingMessage[]; end: (error?: unknown) => void } {
  const spans: Span[] = [];
  const traced = messages.map((message) => {
    const parent = contextFromTraceparent(message.traceparent, context.active());
    const span = startSpan(`publish ${message.topic}`, {
      kind: SpanKind.PRODUCER,
      parent,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': message.topic,
        'messaging.message.id': message.id,
        'messaging.kafka.message.key': message.key,
        'kairos.message.type': message.type,
      },
    });
    spans.push(span);
    const traceparent = traceparentOf(trace.setSpan(parent, span));
    return traceparent ? { ...message, traceparent } : message;
  });
  return {
    messages: traced,
    end: (error?: unknown) => {
      for (const span of spans) {
        if (error !== undefined) markFailed(span, error);
        span.end();
      }
    },
  };
}

/** Runs a message's handler in a consumer span that continues the trace its header names. */
export function withConsumeSpan<T>(groupId: string, message: ReceivedMessage, fn: (span: Span) => Promise<T>): Promise<T> {
  return withSpan(
    `process ${message.topic}`,
    {
      kind: SpanKind.CONSUMER,
      parent: contextFromTraceparent(message.traceparent),
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': message.topic,
        'messaging.consumer.group.name': groupId,
        'messaging.destination.partition.id': String(message.partition),
        'messaging.kafka.offset': Number(message.offset),
        'messaging.message.id': message.id,
        'kairos.message.type': message.type,
      },
    },
    fn,
  );
}
