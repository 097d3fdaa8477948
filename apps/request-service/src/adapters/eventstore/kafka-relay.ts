import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { CLOUDEVENTS_SOURCE, readRecordedEvent, TOPICS, type ReadEvent } from '@kairos/contracts';
import { describeFailure, parkedEventsGauge, PgCheckpointStore, projectionLagSeconds, PgParkedEvents, type CategoryEvent } from '@kairos/event-store';
import { ReadinessRegistry } from '@kairos/http';
import { contractSchemas, MessagePublisher, SchemaViolationError, type OutgoingMessage } from '@kairos/messaging';
import { addGaugeSource, JsonLogger, ServiceMetrics } from '@kairos/observability';
import { SingleActive } from '@kairos/persistence';
import { requestIdOf } from './access-request.store';
import { CategorySubscriber } from './category-subscriber';

export const RELAY_SUBSCRIPTION = 'kafka-relay';
const SUBSCRIPTION = RELAY_SUBSCRIPTION;

const BATCH = 500;
const HIGH_WATER = 2_000;
/** How long the relay waits for more events before publishing the first of a burst (Kafka's linger.ms). */
const LINGER_MS = 2;

/**
 * Relays every request-stream event to `access-request.events`, keyed by request id so each
 * request's events stay in order. Events are published in batches as they arrive; the checkpoint
 * moves only after Kafka acknowledged a batch. After a crash the relay republishes from it and
 * consumers drop the duplicates by `ce_id` (= event id).
 *
 * Every event is published in its current version (upcast as every reader does). An event that
 * cannot be published at all (not readable, or not matching its published schema: a faulty
 * producer wrote it) is parked in `parked_events` and skipped, so it never holds back the rest;
 * Kafka being down is retried as before.
 */
@Injectable()
export class KafkaRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly subscriber: CategorySubscriber;
  private readonly publisher: MessagePublisher;
  private pending: { event: CategoryEvent; message: OutgoingMessage }[] = [];
  readonly parked: PgParkedEvents;
  private readonly gauge;
  private flushing?: Promise<void>;
  private stopping = false;
  /** One replica relays the streams, so each event goes to Kafka in order, once (ADR 0028). */
  readonly leadership: SingleActive;

  constructor(
    @Inject(EventStoreDBClient) client: EventStoreDBClient,
    @Inject(Kafka) kafka: Kafka,
    private readonly dataSource: DataSource,
    private readonly logger: JsonLogger,
    readiness: ReadinessRegistry,
    metrics: ServiceMetrics,
  ) {
    this.publisher = new MessagePublisher(kafka, contractSchemas);
    const checkpoints = new PgCheckpointStore(dataSource, dataSource.driver.schema ?? 'public');
    this.parked = new PgParkedEvents(dataSource, dataSource.driver.schema ?? 'public');
    this.gauge = parkedEventsGauge(metrics.registry);
    this.subscriber = new CategorySubscriber(client, checkpoints, SUBSCRIPTION, async (events) => {
      for (const event of events) await this.relay(event);
    }, logger);
    this.leadership = new SingleActive(dataSource, {
      name: `${dataSource.driver.schema ?? 'public'}:${SUBSCRIPTION}`,
      lead: () => {
        this.stopping = false;
        this.subscriber.start();
      },
      stepDown: async () => {
        this.stopping = true;
        await this.subscriber.stop();
        await this.flushing;
        // What was read but not acknowledged is read again by whoever leads next, from the checkpoint.
        this.pending = [];
      },
      log: { info: (m, f) => logger.write('info', m, f), warn: (m, f) => logger.warn(m, f) },
    });
    readiness.register('kafka-relay', async () => {
      this.leadership.assertDecided();
      await this.subscriber.assertRunning();
    });
    // The stream relay's lag: its checkpoint moves only once Kafka acknowledged.
    addGaugeSource(metrics.registry, 'projectionLag', async (set) =>
      set({ projection: SUBSCRIPTION }, await projectionLagSeconds(client, 'access-request', await checkpoints.load(SUBSCRIPTION), new Date())),
    );
  }

  onApplicationBootstrap(): void {
    this.leadership.start();
    void this.countParked();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.leadership.stop();
    await this.subscriber.stop();
    await this.flushing;
    await this.publisher.disconnect();
  }

  private async relay(event: CategoryEvent): Promise<void> {
    let message: OutgoingMessage;
    try {
      message = toMessage(event, readRecordedEvent(event));
      const problems = contractSchemas(message.topic, message.type, message.data, 'publish');
      if (problems) throw new SchemaViolationError(message.topic, message.type, problems);
    } catch (error) {
      // Never publishable, whatever we retry. The checkpoint moves past it with the next batch
      // acknowledged; until then a restart parks it again (a no-op).
      await this.parked.park(this.dataSource, SUBSCRIPTION, event, error, 1);
      this.logger.error('event parked: it cannot be published to Kafka; the relay skipped it', {
        subscription: SUBSCRIPTION,
        stream: event.streamId,
        revision: event.revision.toString(),
        eventId: event.id,
        type: event.type,
        error: describeFailure(error),
      });
      await this.countParked();
      return;
    }
    this.pending.push({ event, message });
    this.kick();
    // Backpressure: the subscription waits while Kafka is behind.
    while (this.pending.length >= HIGH_WATER && this.flushing) await this.flushing;
  }

  private kick(): void {
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
      if (this.pending.length > 0 && !this.stopping) this.kick();
    });
  }

  /**
   * Publishes what is pending, a batch at a time. The checkpoint of an acknowledged batch is saved
   * while the next batch is being published (saves stay in order, one at a time), so a batch never
   * waits for the database; flushing ends only once the last save is done.
   */
  private async flush(): Promise<void> {
    let saving: Promise<void> = Promise.resolve();
    // The events of one append may reach the relay in separate reads of the socket (the event store
    // is another process): a moment's linger lets them go out in one batch instead of two round trips.
    await new Promise((r) => setTimeout(r, LINGER_MS));
    while (this.pending.length > 0 && !this.stopping) {
      const batch = this.pending.slice(0, BATCH);
      try {
        await this.publisher.publish(batch.map((p) => p.message));
      } catch (error) {
        this.logger.warn('relaying to Kafka failed; retrying', { error: (error as Error).message, events: batch.length });
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      this.pending.splice(0, batch.length);
      const position = batch[batch.length - 1]!.event.position;
      // A save that fails is only a later restart republishing more (consumers drop duplicates by id); the next save moves it on.
      saving = saving.then(() =>
        this.subscriber.checkpoints.save(this.dataSource, SUBSCRIPTION, position).catch((error: unknown) => {
          this.logger.warn('saving the relay checkpoint failed; the next batch saves a later one', { error: (error as Error).message });
        }),
      );
    }
    await saving;
  }

  private async countParked(): Promise<void> {
    try {
      this.gauge.set({ subscription: SUBSCRIPTION }, await this.parked.count(SUBSCRIPTION));
    } catch {
      // The gauge catches up at the next park; the database being down shows elsewhere.
    }
  }
}

/** The Kafka record of an event: its data upcast to the current version, attributes from the store. */
function toMessage(event: CategoryEvent, read: ReadEvent): OutgoingMessage {
  const requestId = requestIdOf(event.streamId);
  const metadata = read.metadata as { correlationId?: string; traceparent?: string };
  return {
    topic: TOPICS.accessRequestEvents,
    key: requestId,
    id: event.id,
    type: event.type,
    subject: requestId,
    time: event.created.toISOString(),
    source: CLOUDEVENTS_SOURCE,
    data: read.data,
    correlationId: metadata.correlationId ?? undefined,
    traceparent: metadata.traceparent ?? undefined,
  };
}
