import type { Consumer, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { runWithContext } from '@kairos/observability';
import { MessageAuthenticationMissingError, messageAuthenticationOf, type AuthenticationRefusal, type MessageVerifier } from './authentication';
import { fromKafkaMessage, type ReceivedMessage } from './envelope';
import type { MessagePublisher } from './publisher';
import type { SchemaCheck } from './schemas';

/** Thrown by a handler when retrying can never help: the message goes straight to the dead-letter topic. */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

export type MessageHandler = (message: ReceivedMessage, tx: EntityManager) => Promise<void>;

export interface ConsumerLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface IdempotentConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly dataSource: DataSource;
  readonly publisher: MessagePublisher;
  readonly schemas: SchemaCheck;
  readonly handle: MessageHandler;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  readonly deadLetterTopic?: string;
  readonly log?: ConsumerLog;
  readonly onOutcome?: (topic: string, outcome: 'processed' | 'duplicate' | 'dead_lettered') => void;
  /**
   * Failures that are not the message's fault (a dependency down): after the last attempt such a
   * message is handed back to Kafka to be redelivered, never dead-lettered.
   */
  readonly isTransient?: (error: unknown) => boolean;
  /** Partitions handled at once; order is kept within a partition (one request's messages share one). */
  readonly partitionsConsumedConcurrently?: number;
  /** Checks each message's signature and producer; the one bound to the Kafka client unless given. */
  readonly verifier?: MessageVerifier;
  /** A message refused because it does not prove who produced it (after it was dead-lettered). */
  readonly onRefused?: (topic: string, refusal: AuthenticationRefusal) => void;
}

export const deadLetterTopicFor = (groupId: string): string => `${groupId}.dlq`;

/**
 * At-least-once delivery made effectively-once: each message's id goes into the inbox in the same
 * PostgreSQL transaction as the handler's state change, so a redelivery finds its id and is
 * dropped. A message that keeps failing goes to the group's dead-letter topic with the error, and
 * the partition moves on.
 */
export class IdempotentConsumer {
  private readonly consumer: Consumer;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  readonly deadLetterTopic: string;
  private readonly verifier: MessageVerifier;
  private stopping = false;

  constructor(private readonly options: IdempotentConsumerOptions) {
    const verifier = options.verifier ?? messageAuthenticationOf(options.kafka)?.verifier;
    if (!verifier) throw new MessageAuthenticationMissingError(`the consumer ${options.groupId}`);
    this.verifier = verifier;
    // A short fetch wait keeps shutdown quick; long-polling still answers as soon as data arrives.
    this.consumer = options.kafka.consumer({ groupId: options.groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 1_000, allowAutoTopicCreation: true });
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffMs = options.backoffMs ?? 100;
    this.deadLetterTopic = options.deadLetterTopic ?? deadLetterTopicFor(options.groupId);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      eachMessage: (payload) => this.onMessage(payload),
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
  }

  private async onMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    // Before anything reads it: being able to write to a topic must not be enough to make us act.
    const authentication = this.verifier.verify(topic, message);
    if (!authentication.ok) {
      this.options.log?.error('security alarm: message refused, it does not prove who produced it', {
        alarm: 'message_authentication',
        refusal: authentication.refusal,
        reason: authentication.reason,
        topic,
        partition,
        offset: message.offset,
        keyId: authentication.keyId,
      });
      // Its claimed ce_id is not trusted either: inbox it under its offset, so a forgery can never
      // shadow the genuine message that carries the same id.
      await this.deadLetter(topic, partition, message, `authentication: ${authentication.refusal}: ${authentication.reason}`, 0, `${topic}:${partition}:${message.offset}`);
      this.options.onRefused?.(topic, authentication.refusal);
      return;
    }
    const parsed = fromKafkaMessage(topic, partition, message);
    if (!parsed.ok) return this.deadLetter(topic, partition, message, parsed.reason, 0, `${topic}:${partition}:${message.offset}`);
    const received = parsed.message;
    const problems = this.options.schemas(topic, received.type, received.data, 'receive');
    if (problems) return this.deadLetter(topic, partition, message, `schema: ${problems}`, 0, received.id);

    await runWithContext({ correlationId: received.correlationId, traceparent: received.traceparent }, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const outcome = await this.process(received);
          this.options.onOutcome?.(topic, outcome);
          return;
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          if (error instanceof PoisonMessageError) return this.deadLetter(topic, partition, message, reason, attempt, received.id);
          // A dependency that is down (our database, or one the handler names transient) is not the
          // message's fault: keep the partition where it is and retry until it is back, instead of
          // dead-lettering a healthy message.
          const blocked = attempt >= this.maxAttempts && (this.options.isTransient?.(error) || !(await this.databaseUp()));
          if (attempt >= this.maxAttempts && !blocked) return this.deadLetter(topic, partition, message, reason, attempt, received.id);
          if (this.stopping) throw error;
          this.options.log?.warn(blocked ? 'message blocked by a failing dependency; retrying' : 'message handling failed; retrying', { topic, type: received.type, id: received.id, attempt, reason });
          await heartbeat();
          await new Promise((r) => setTimeout(r, Math.min(this.backoffMs * 2 ** (attempt - 1), 5_000)));
        }
      }
    });
  }

  private async process(message: ReceivedMessage): Promise<'processed' | 'duplicate'> {
    return this.options.dataSource.transaction(async (tx) => {
      const inserted: unknown[] = await tx.query(
        `INSERT INTO messaging_inbox (consumer_group, message_id, topic, partition, "offset", outcome)
         VALUES ($1, $2, $3, $4, $5, 'processed') ON CONFLICT DO NOTHING RETURNING 1`,
        [this.options.groupId, message.id, message.topic, message.partition, message.offset],
      );
      if (inserted.length === 0) return 'duplicate';
      await this.options.handle(message, tx);
      return 'processed';
    });
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, attempts: number, id: string): Promise<void> {
    this.options.log?.error('message dead-lettered', { topic, partition, offset: message.offset, reason, deadLetterTopic: this.deadLetterTopic });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      if (value !== undefined) headers[name] = (Array.isArray(value) ? value[0] : value)?.toString() ?? '';
    }
    await this.options.publisher.publishRaw(this.deadLetterTopic, [
      {
        key: message.key ? message.key.toString() : null,
        value: message.value,
        headers: {
          ...headers,
          'x-kairos-dlq-reason': reason.slice(0, 2_000),
          'x-kairos-dlq-topic': topic,
          'x-kairos-dlq-partition': String(partition),
          'x-kairos-dlq-offset': message.offset,
          'x-kairos-dlq-attempts': String(attempts),
          'x-kairos-dlq-group': this.options.groupId,
        },
      },
    ]);
    await this.options.dataSource.query(
      `INSERT INTO messaging_inbox (consumer_group, message_id, topic, partition, "offset", outcome)
       VALUES ($1, $2, $3, $4, $5, 'dead_lettered') ON CONFLICT DO NOTHING`,
      [this.options.groupId, id, topic, partition, message.offset],
    );
    this.options.onOutcome?.(topic, 'dead_lettered');
  }

  private async databaseUp(): Promise<boolean> {
    try {
      await this.options.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
