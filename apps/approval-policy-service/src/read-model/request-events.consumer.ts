import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource, type EntityManager } from 'typeorm';
import { lendableApproval } from '@kairos/access-request-domain';
import { TOPICS, type AccessRequestEvent } from '@kairos/contracts';
import { MessagingRuntime, PoisonMessageError, type ReceivedMessage } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { applyEvent } from './request-state';
import { RequestViewsRepository } from './request-views.repository';

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
    const requestId = event.data.requestId;
    const current = await this.views.load(tx, requestId, true);
    const result = applyEvent(current, event);
    if (result.kind === 'unknown_request') {
      throw new PoisonMessageError(`${event.type} for request ${requestId}, whose AccessRequested was never seen`);
    }
    if (result.kind === 'unchanged') return;
    await this.views.save(tx, result.state);
    // Which approvals a later request may reuse is the domain's rule, re-read after every change:
    // an item released, revoked or cancelled stops lending its approval at once.
    const itemIds = event.type === 'AccessRequested' ? event.data.items.map((item) => item.itemId) : [event.data.itemId];
    for (const itemId of itemIds) await this.views.setLentApproval(tx, requestId, itemId, lendableApproval(result.state, itemId));
  }
}
