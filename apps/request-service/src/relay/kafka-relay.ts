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

/**
 * Relays every request-stream event to `access-request.events`, keyed by request id so each
 * request's events stay in order. The checkpoint is stored only after Kafka acknowledged; after a
 * crash the relay republishes from it and consumers drop the duplicates by `ce_id` (= event id).
 */
@Injectable()
export class KafkaRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly subscriber: CategorySubscriber;
  private readonly publisher: MessagePublisher;

  constructor(
    @Inject(EventStoreDBClient) client: EventStoreDBClient,
    @Inject(Kafka) kafka: Kafka,
    private readonly dataSource: DataSource,
    logger: JsonLogger,
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
    await this.subscriber.stop();
    await this.publisher.disconnect();
  }

  private async relay(event: CategoryEvent): Promise<void> {
    const requestId = requestIdOf(event.streamId);
    const metadata = (event.metadata ?? {}) as { correlationId?: string; traceparent?: string };
    await this.publisher.publish([
      {
        topic: TOPICS.accessRequestEvents,
        key: requestId,
        id: event.id,
        type: event.type,
        subject: requestId,
        time: event.created.toISOString(),
        source: CLOUDEVENTS_SOURCE,
        data: event.data,
        correlationId: metadata.correlationId,
        traceparent: metadata.traceparent,
      },
    ]);
    await this.subscriber.checkpoints.save(this.dataSource, SUBSCRIPTION, event.position);
  }
}
