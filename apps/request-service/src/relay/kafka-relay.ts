import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { CLOUDEVENTS_SOURCE, TOPICS } from '@kairos/contracts';
import { PgCheckpointStore, type CategoryEvent } from '@kairos/event-store';
import { ReadinessRegistry } from '@kairos/http';
import { contractSchemas, MessagePublisher } from '@kairos/messaging';
import { JsonLogger } from '@kairos/observability';
import { requestIdOf } from '../access-requests/access-request.store';
import { CategorySubscriber } from '../shared/category-subscriber';

const SUBSCRIPTION = 'kafka-relay';

const BATCH = 500;
const HIGH_WATER = 2_000;

/**
 * Relays every request-stream event to `access-request.events`, keyed by request id so each
 * request's events stay in order. Events are published in batches as they arrive; the checkpoint
 * moves only after Kafka acknowledged a batch. After a crash the relay republishes from it and
 * consumers drop the duplicates by `ce_id` (= event id).
 */
@Injectable()
export class KafkaRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly subscriber: CategorySubscriber;
  private readonly publisher: MessagePublisher;
  private pending: CategoryEvent[] = [];
  private flushing?: Promise<void>;
  private stopping = false;

  constructor(
    @Inject(EventStoreDBClient) client: EventStoreDBClient,
    @Inject(Kafka) kafka: Kafka,
    private readonly dataSource: DataSource,
    private readonly logger: JsonLogger,
    readiness: ReadinessRegistry,
  ) {
    this.publisher = new MessagePublisher(kafka, contractSchemas);
    const checkpoints = new PgCheckpointStore(dataSource, dataSource.driver.schema ?? 'public');
    this.subscriber = new CategorySubscriber(client, checkpoints, SUBSCRIPTION, (event) => this.relay(event), logger);
    readiness.register('kafka-relay', async () => this.subscriber.assertRunning());
  }

  onApplicationBootstrap(): void {
    this.subscriber.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.subscriber.stop();
    await this.flushing;
    await this.publisher.disconnect();
  }

  private async relay(event: CategoryEvent): Promise<void> {
    this.pending.push(event);
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

  private async flush(): Promise<void> {
    while (this.pending.length > 0 && !this.stopping) {
      const batch = this.pending.slice(0, BATCH);
      try {
        await this.publisher.publish(batch.map(toMessage));
        await this.subscriber.checkpoints.save(this.dataSource, SUBSCRIPTION, batch[batch.length - 1]!.position);
        this.pending.splice(0, batch.length);
      } catch (error) {
        this.logger.warn('relaying to Kafka failed; retrying', { error: (error as Error).message, events: batch.length });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

function toMessage(event: CategoryEvent) {
  const requestId = requestIdOf(event.streamId);
  const metadata = (event.metadata ?? {}) as { correlationId?: string; traceparent?: string };
  return {
    topic: TOPICS.accessRequestEvents,
    key: requestId,
    id: event.id,
    type: event.type,
    subject: requestId,
    time: event.created.toISOString(),
    source: CLOUDEVENTS_SOURCE,
    data: event.data,
    correlationId: metadata.correlationId ?? undefined,
    traceparent: metadata.traceparent ?? undefined,
  };
}
