import { Injectable } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { MessagingRuntime } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { TimerWakeups } from '../firing/wakeups';

export const CONSUMER_GROUP = 'expiry-scheduler';

/**
 * The scheduler's Kafka side: the consumer of access-request.events (its handlers are the
 * @EventPattern controller beside this file, bound by `startKafkaInbox`, which also starts and stops
 * it) and the outbox relay that publishes the firings.
 */
@Injectable()
export class ExpiryMessaging {
  readonly runtime: MessagingRuntime;

  constructor(kafka: Kafka, dataSource: DataSource, logger: JsonLogger, metrics: ServiceMetrics, wakeups: TimerWakeups) {
    this.runtime = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: CONSUMER_GROUP,
      topics: [TOPICS.accessRequestEvents],
      log: {
        warn: (msg, fields) => logger.write('warn', msg, fields),
        error: (msg, fields) => logger.write('error', msg, fields),
      },
      metrics,
      // Called after the inbox transaction committed: the new timers are visible to the loop.
      onOutcome: () => wakeups.committed(),
    });
  }

  /** Wakes the outbox relay (a firing was just committed). */
  notifyOutbox(): void {
    this.runtime.notifyOutbox();
  }
}
