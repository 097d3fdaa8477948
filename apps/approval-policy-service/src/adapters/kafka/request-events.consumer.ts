import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource, type EntityManager } from 'typeorm';
import { TOPICS, type AccessRequestEvent } from '@kairos/contracts';
import { MessagingRuntime, PoisonMessageError, type ReceivedMessage } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { recordRequestEvent } from '../../use-cases/record-request-event/record-request-event';
import { RequestViewsRepository } from '../postgres/request-views.repository';

export const CONSUMER_GROUP = 'approval-policy-service';

/**
 * Keeps the copy of requests (for inboxes and history) and the approvals they lend (for reuse)
 * from the public request stream, folding the request domain's own `evolve`, and runs the outbox
 * relay that sends reviews out.
 */
@Injectable()
export class RequestEventsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly runtime: MessagingRuntime;

  constructor(
    @Inject(Kafka) kafka: Kafka,
    @Inject(DataSource) dataSource: DataSource,
    private readonly views: RequestViewsRepository,
    private readonly logger: JsonLogger,
    metrics: ServiceMetrics,
  ) {
    this.runtime = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: CONSUMER_GROUP,
      topics: [TOPICS.accessRequestEvents],
      handle: (message, tx) => this.apply(message, tx),
      log: this.logger,
      metrics,
    });
  }

  /** Reviews are queued in the outbox by their own transaction; this sends them now. */
  notifyOutbox(): void {
    this.runtime.notifyOutbox();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }

  /** The schema was checked by the consumer before this runs. */
  async apply(message: ReceivedMessage, tx: EntityManager): Promise<void> {
    const event = { type: message.type, data: message.data } as AccessRequestEvent;
    const recorded = await recordRequestEvent(event, this.views.inTransaction(tx));
    if (recorded.kind === 'unknown_request') throw new PoisonMessageError(recorded.reason);
  }
}
