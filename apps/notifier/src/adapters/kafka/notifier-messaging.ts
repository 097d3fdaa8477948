import { Injectable } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { MessagingRuntime } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import type { Queued } from '../../use-cases/plan-notifications/plan-notifications';
import { DispatchLoop } from '../loop/dispatch-loop';

export const CONSUMER_GROUP = 'notifier';

/**
 * The notifier's Kafka side: the consumer of access-request.events (its handlers are the
 * @EventPattern controller beside this file, bound by `startKafkaInbox`, which also starts and stops
 * it: inbox, signatures, dead-letter topic) and the outbox relay that publishes escalations.
 */
@Injectable()
export class NotifierMessaging {
  readonly runtime: MessagingRuntime;
  private sendsQueued = false;
  private messagesQueued = false;

  constructor(kafka: Kafka, dataSource: DataSource, logger: JsonLogger, metrics: ServiceMetrics, loop: DispatchLoop) {
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
      // After a commit, wake the dispatcher only when a send was queued and the outbox relay only
      // when an escalation was; otherwise each runs on its interval (reminders, retries). A batch
      // that rolled back merely wakes them for nothing.
      onOutcome: () => {
        if (this.sendsQueued) loop.notify();
        if (this.messagesQueued) this.runtime.notifyOutbox();
        this.sendsQueued = this.messagesQueued = false;
      },
    });
  }

  /** What a handled event queued (the controller tells it before its transaction commits). */
  queued(queued: Queued): void {
    this.sendsQueued ||= queued.sends;
    this.messagesQueued ||= queued.messages;
  }

  /** Asks the outbox relay to publish now. */
  notifyOutbox(): void {
    this.runtime.notifyOutbox();
  }
}
