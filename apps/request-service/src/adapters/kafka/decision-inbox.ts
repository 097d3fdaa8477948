import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { ReadinessRegistry } from '@kairos/http';
import { MessagingRuntime, PoisonMessageError } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { DECISION_TOPICS } from './decisions.controller';

export const RECORDER_GROUP = 'request-service';

/**
 * This service's Kafka consumer: the decisions of the other services, whose messages reach
 * `DecisionsController` through the Kafka inbox transport (`RequestServiceModule.startInbox`). Its
 * facts go to EventStoreDB, and the stream relay publishes them: no outbox here.
 */
@Injectable()
export class DecisionInbox implements OnApplicationShutdown {
  readonly runtime: MessagingRuntime;

  constructor(@Inject(Kafka) kafka: Kafka, @Inject(DataSource) dataSource: DataSource, logger: JsonLogger, metrics: ServiceMetrics, readiness: ReadinessRegistry) {
    this.runtime = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: RECORDER_GROUP,
      topics: DECISION_TOPICS,
      log: logger,
      metrics,
      outbox: false,
      // Only refusals (the decider's, for good) are the message's fault; anything else (EventStoreDB
      // restarting, say) must not send a decision to the dead-letter topic: it is retried in place.
      isTransient: (error) => !(error instanceof PoisonMessageError),
    });
    // A service started without its inbox would look ready and record nothing.
    readiness.register('decision-inbox', async () => {
      if (!this.runtime.bound) throw new Error('the decision inbox was not started (RequestServiceModule.startInbox)');
    });
  }

  /** The transport stops the runtime with the app; this stops it too when the inbox was never started (stop is idempotent). */
  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
