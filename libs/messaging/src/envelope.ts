import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { CE_HEADERS, toCloudEventHeaders } from '@kairos/contracts';
import { CORRELATION_HEADER } from '@kairos/observability';

/** A message to publish: CloudEvents attributes plus the JSON data, keyed by request id. */
export interface OutgoingMessage<T = unknown> {
  readonly topic: string;
  /** The Kafka key: the request id, so one request's messages stay in order on one partition. */
  readonly key: string;
  /** Unique and stable across retries, so consumers drop duplicates by it. */
  readonly id: string;
  readonly type: string;
  readonly subject: string;
  readonly time: string;
  readonly source: string;
  readonly data: T;
  readonly traceparent?: string;
  readonly correlationId?: string;
}

/** A message as received, its attributes read back from the CloudEvents headers. */
export interface ReceivedMessage<T = unknown> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly id: string;
  readonly type: string;
  readonly subject: string;
  readonly time: string;
  readonly source: string;
  readonly data: T;
  readonly traceparent?: string;
  readonly correlationId?: string;
}

export function toKafkaMessage(message: OutgoingMessage): Message {
  return {
    key: message.key,
    value: JSON.stringify(message.data),
    headers: {
      ...toCloudEventHeaders({
        id: message.id,
        type: message.type,
        subject: message.subject,
        time: message.time,
        source: message.source,
        traceparent: message.traceparent,
      }),
      ...(message.correlationId ? { [CORRELATION_HEADER]: message.correlationId } : {}),
    },
  };
}

export type ParseResult = { ok: true; message: ReceivedMessage } | { ok: false; reason: string };

export function fromKafkaMessage(topic: string, partition: number, raw: KafkaMessage): ParseResult {
  const header = (name: string) => headerValue(raw.headers, name);
  const id = header(CE_HEADERS.id);
  const type = header(CE_HEADERS.type);
  if (!id || !type) return { ok: false, reason: `missing CloudEvents header ${!id ? CE_HEADERS.id : CE_HEADERS.type}` };
  if (!raw.value) return { ok: false, reason: 'message has no value' };
  let data: unknown;
  try {
    data = JSON.parse(raw.value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'message value is not valid JSON' };
  }
  return {
    ok: true,
    message: {
      topic,
      partition,
      offset: raw.offset,
      key: raw.key ? raw.key.toString('utf8') : null,
      id,
      type,
      subject: header(CE_HEADERS.subject) ?? '',
      time: header(CE_HEADERS.time) ?? '',
      source: header(CE_HEADERS.source) ?? '',
      data,
      traceparent: header(CE_HEADERS.traceparent),
      correlationId: header(CORRELATION_HEADER),
    },
  };
}

export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
