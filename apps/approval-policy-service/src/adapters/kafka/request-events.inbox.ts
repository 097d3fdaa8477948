import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { ReadinessRegistry } from '@kairos/http';
import { MessagingRuntime } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';

export const CONSUMER_GROUP = 'approval-policy-service';

/**
 * This service's Kafka side: the consumer of the public request stream (its messages reach
 * `RequestEventsController` through the Kafka inbox transport, started by `startKafkaInbox`) and
 * the outbox relay that sends reviews out.
 */
@Injectable()
export class RequestEventsInbox implements OnApplicationShutdown {
  readonly runtime: MessagingRuntime;

  constructor(
    @Inject(Kafka) kafka: Kafka,
    @Inject(DataSource) dataSource: DataSource,
    logger: JsonLogger,
    metrics: ServiceMetrics,
    readiness: ReadinessRegistry,
  ) {
    this.runtime = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: CONSUMER_GROUP,
      topics: [TOPICS.accessRequestEvents],
      log: logger,
      metrics,
    });
    // A service started without its inbox would look ready, keep no copy of requests and send no review.
    readiness.register('request-events-inbox', async () => {
      if (!this.runtime.bound) throw new Error('the request-events inbox was not started (ApprovalPolicyServiceModule.startInbox)');
    });
  }

  /** Reviews are queued in the outbox by their own transaction; this sends them now. */
  notifyOutbox(): void {
    this.runtime.notifyOutbox();
  }

  /** The transport stops the runtime with the app; this stops it too when the inbox was never started (stop is idempotent). */
  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
