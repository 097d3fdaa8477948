import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { addGaugeSource, type ServiceMetrics } from '@kairos/observability';
import { Counter } from 'prom-client';
import { Refusal } from '@kairos/refusal';
import { MessageAuthenticationMissingError, messageAuthenticationOf, type MessageAuthentication } from './authentication';
import { IdempotentConsumer, type ConsumerLog, type MessageHandler } from './consumer';
import { OutboxRelay } from './outbox';
import { MessagePublisher } from './publisher';
import { contractSchemas, type SchemaCheck } from './schemas';
import { readinessOf, type ReadinessTarget } from './readiness';

export interface MessagingRuntimeOptions {
  readonly kafka: Kafka;
  readonly dataSource: DataSource;
  /** The consumer group: the service's name. Its dead-letter topic is `<groupId>.dlq`. */
  readonly groupId: string;
  readonly topics: readonly string[];
  /**
   * What each message does, inside its inbox transaction. Left out when a Nest app binds its
   * `@EventPattern` handlers through `KafkaInboxTransport` (which calls `bind`); starting a runtime
   * that has no handler either way fails with `MessageHandlerMissingError`.
   */
  readonly handle?: MessageHandler;
  readonly log: ConsumerLog;
  readonly metrics?: ServiceMetrics;
  /** Runs after each message's transaction committed (or was found a duplicate, or dead-lettered). */
  readonly onOutcome?: (topic: string, outcome: 'processed' | 'duplicate' | 'dead_lettered') => void;
  /** Services that publish from their own transactions relay an outbox; false when they do not. */
  readonly outbox?: boolean;
  readonly schemas?: SchemaCheck;
  readonly isTransient?: (error: unknown) => boolean;
  /** The service's keys; those bound to the Kafka client (KafkaModule) unless given. */
  readonly authentication?: MessageAuthentication;
  /** Where the consumer's readiness is registered; the registry bound to the Kafka client (KafkaModule) unless given. */
  readonly readiness?: ReadinessTarget;
}

const REFUSED_METRIC = 'kairos_messages_refused_total';

/** A runtime was started with no handler: neither `handle` given nor a transport bound to it. */
export class MessageHandlerMissingError extends Error {
  constructor(groupId: string) {
    super(`the messaging runtime of ${groupId} has no message handler: give it \`handle\`, or start it through KafkaInboxTransport (startKafkaInbox)`);
    this.name = 'MessageHandlerMissingError';
  }
}

/**
 * A service's whole Kafka side, wired once: an idempotent consumer with its inbox and dead-letter
 * topic, the schema-checked publisher, and the outbox relay — started and stopped in the right order.
 */
export class MessagingRuntime {
  readonly publisher: MessagePublisher;
  readonly consumer: IdempotentConsumer;
  private readonly relay?: OutboxRelay;
  private readonly unregister: (() => void)[] = [];
  private handler?: MessageHandler;
  /** Set by the transport: the types (or whole topics) some handler takes; others are passed over unread. */
  private interested?: (topic: string, type: string) => boolean;
  private stopping?: Promise<void>;

  constructor(private readonly options: MessagingRuntimeOptions) {
    this.handler = options.handle;
    const schemas = options.schemas ?? contractSchemas;
    const authentication = options.authentication ?? messageAuthenticationOf(options.kafka);
    if (!authentication) throw new MessageAuthenticationMissingError(`the messaging of ${options.groupId}`);
    const registry = options.metrics?.registry;
    const refused =
      registry &&
      ((registry.getSingleMetric(REFUSED_METRIC) as Counter<'topic' | 'refusal'> | undefined) ??
        new Counter({
          name: REFUSED_METRIC,
          help: 'Messages refused (dead-lettered, never handled) because they do not prove who produced them, by refusal',
          labelNames: ['topic', 'refusal'],
          registers: [registry],
        }));
    this.publisher = new MessagePublisher(options.kafka, schemas, authentication.signer);
    if (options.outbox !== false) {
      this.relay = new OutboxRelay(options.dataSource, this.publisher, {
        onError: (error) => options.log.warn('outbox relay failed; retrying', { error: error instanceof Error ? error.message : String(error) }),
      });
    }
    this.consumer = new IdempotentConsumer({
      kafka: options.kafka,
      groupId: options.groupId,
      topics: options.topics,
      dataSource: options.dataSource,
      publisher: this.publisher,
      schemas,
      handle: (message, tx) => {
        if (!this.handler) throw new MessageHandlerMissingError(options.groupId);
        return this.handler(message, tx);
      },
      interested: (topic, type) => this.interested?.(topic, type) ?? true,
      log: options.log,
      // A refusal saying a dependency is away (`unavailable`) is not the message's fault: retried in place.
      isTransient: (error) => (error instanceof Refusal && error.kind === 'unavailable') || (options.isTransient?.(error) ?? false),
      verifier: authentication.verifier,
      onRefused: (topic, refusal) => refused?.inc({ topic, refusal }),
      onOutcome: (topic, outcome) => {
        options.metrics?.messagesHandled.inc({ topic, outcome });
        options.onOutcome?.(topic, outcome);
      },
    });
    if (registry) {
      const consumer = this.consumer;
      this.unregister.push(
        addGaugeSource(registry, 'consumerLag', async (set) => {
          for (const { topic, partition, lag } of await consumer.lag()) set({ group: options.groupId, topic, partition }, lag);
        }),
      );
      const relay = this.relay;
      if (relay) {
        this.unregister.push(
          addGaugeSource(registry, 'outboxDepth', async (set) => set({}, (await relay.backlog()).depth)),
          addGaugeSource(registry, 'relayLag', async (set) => set({}, (await relay.backlog()).oldestAgeSeconds)),
        );
      }
    }
  }

  /**
   * Gives the runtime its handler (the Nest transport binds its dispatch to `@EventPattern`
   * handlers here). Once: a runtime has one handler.
   */
  bind(handle: MessageHandler, interested?: (topic: string, type: string) => boolean): void {
    if (this.handler) throw new Error(`the messaging runtime of ${this.options.groupId} already has a message handler`);
    this.handler = handle;
    this.interested = interested;
  }

  /** Whether the runtime has its handler (given as \`handle\` or bound). */
  get bound(): boolean {
    return this.handler !== undefined;
  }

  /** Asks the outbox relay to publish now (after a commit that queued messages). */
  notifyOutbox(): void {
    this.relay?.notify();
  }

  /**
   * Starts the relay and the consumer and returns at once: the service listens on HTTP while its
   * consumer joins the group (ADR 0010). Readiness says ready only once the consumer really
   * consumes; `joined()` waits for the first join.
   */
  async start(): Promise<void> {
    if (!this.handler) throw new MessageHandlerMissingError(this.options.groupId);
    this.relay?.start();
    (this.options.readiness ?? readinessOf(this.options.kafka))?.register(`kafka-consumer:${this.options.groupId}`, () => this.consumer.ready());
    this.consumer.startInBackground((error) =>
      this.options.log.warn('consumer could not join its group; retrying', { group: this.options.groupId, error: error instanceof Error ? error.message : String(error) }),
    );
  }

  /** Resolves once the consumer first joined its group. */
  joined(): Promise<void> {
    return this.consumer.joined();
  }

  /** Stops the consumer (leaving its group), then the relay and the publisher. Idempotent: a second call waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    for (const remove of this.unregister.splice(0)) remove();
    await this.consumer.stop();
    await this.relay?.stop();
    await this.publisher.disconnect();
  }
}
