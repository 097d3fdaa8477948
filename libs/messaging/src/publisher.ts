import type { Kafka, Message, Producer } from 'kafkajs';
import { MessageAuthenticationMissingError, messageAuthenticationOf, type MessageSigner } from './authentication';
import { toKafkaMessage, type OutgoingMessage } from './envelope';
import type { SchemaCheck } from './schemas';
import { startPublishSpans } from './tracing';

export class SchemaViolationError extends Error {
  constructor(
    readonly topic: string,
    readonly type: string,
    readonly problems: string,
  ) {
    super(`${type} on ${topic} does not match its schema: ${problems}`);
    this.name = 'SchemaViolationError';
  }
}

/**
 * An idempotent producer (the broker drops retried duplicates) that refuses to publish a message
 * whose data does not match its published schema, and signs every message it publishes with the
 * service's key (the one bound to the Kafka client unless another is given).
 */
export class MessagePublisher {
  private producer: Producer;
  private readonly signer: MessageSigner;
  private connected?: Promise<void>;

  constructor(
    private readonly kafka: Kafka,
    private readonly schemas: SchemaCheck,
    signer?: MessageSigner,
  ) {
    const resolved = signer ?? messageAuthenticationOf(kafka)?.signer;
    if (!resolved) throw new MessageAuthenticationMissingError('a message publisher');
    this.signer = resolved;
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    // Topics are `kairos setup`'s to create (KAIROS_TOPICS), never a side effect of publishing.
    return this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    for (const message of messages) {
      const problems = this.schemas(message.topic, message.type, message.data, 'publish');
      if (problems) throw new SchemaViolationError(message.topic, message.type, problems);
    }
    await this.connect();
    // A producer span per message; its traceparent is the record's header (not signed: see tracing.ts).
    const traced = startPublishSpans(messages);
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const message of traced.messages) byTopic.set(message.topic, [...(byTopic.get(message.topic) ?? []), message]);
    try {
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list.map((message) => this.signed(topic, toKafkaMessage(message))) })),
      });
    } catch (error) {
      traced.end(error);
      await this.replaceIfSequenceLost(error);
      throw error;
    }
    traced.end();
  }

  /**
   * A producer whose sequence numbers the broker no longer accepts never sends again: after a
   * request in which one partition failed (a full disk: KAFKA_STORAGE_ERROR) kafkajs rolls back the
   * sequence of every partition of the request, also of those the broker wrote, and each later
   * send to them is OUT_OF_ORDER_SEQUENCE_NUMBER; a broker that lost the producer answers
   * UNKNOWN_PRODUCER_ID. Such a producer is replaced by a new one (a new producer id, sequences
   * from 0) and the caller retries as after any failure; records of the failed batch the broker
   * had written are sent again, and consumers drop the duplicates by `ce_id`.
   */
  private async replaceIfSequenceLost(error: unknown): Promise<void> {
    if (!isProducerStateError(error)) return;
    const lost = this.producer;
    const wasConnected = this.connected;
    this.producer = this.newProducer();
    this.connected = undefined;
    if (wasConnected) await lost.disconnect().catch(() => undefined);
  }

  private signed(topic: string, record: Message): Message {
    return { ...record, headers: { ...record.headers, ...this.signer.signatureHeaders(topic, record) } };
  }

  /** Publishes raw records (dead letters) as they are: unsigned by this service, so no consumer acts on them. */
  async publishRaw(topic: string, messages: { key: string | null; value: Buffer | string | null; headers: Record<string, string> }[]): Promise<void> {
    await this.connect();
    try {
      await this.producer.send({ topic, acks: -1, messages });
    } catch (error) {
      await this.replaceIfSequenceLost(error);
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = undefined;
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }
}

const PRODUCER_STATE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

/** The broker refused the producer's id, epoch or sequence (kafkajs wraps the protocol error in `cause`s). */
export function isProducerStateError(error: unknown): boolean {
  for (let e = error as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.type === 'string' && PRODUCER_STATE_ERRORS.has(e.type)) return true;
  }
  return false;
}
