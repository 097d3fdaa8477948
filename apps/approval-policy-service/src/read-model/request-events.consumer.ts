import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource, type EntityManager } from 'typeorm';
import { TOPICS, type AccessRequestEvent } from '@kairos/contracts';
import { MessagingRuntime, PoisonMessageError, type ReceivedMessage } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { evolve } from './request-view';
import { RequestViewsRepository } from './request-views.repository';

export const CONSUMER_GROUP = 'approval-policy-service';

/**
 * Keeps the read copy of requests (for inboxes, eligibility and history) and the prior approvals
 * (for reuse) from the public request stream, and runs the outbox relay that sends reviews out.
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
    const view = await this.views.load(tx, requestId, true);
    const result = evolve(view, event);
    switch (result.kind) {
      case 'unknown_request':
        throw new PoisonMessageError(`${event.type} for request ${requestId}, whose AccessRequested was never seen`);
      case 'unchanged':
        break;
      case 'changed':
        await this.views.save(tx, result.view);
        break;
    }
    // Only an approval people gave is reusable: reusing a break-glass or a reused approval would let
    // access renew itself forever without anyone deciding.
    if (event.type === 'ItemApproved' && event.data.via === 'reviews') {
      const item = (result.kind === 'changed' ? result.view : view)?.items.find((candidate) => candidate.itemId === event.data.itemId);
      if (item && view) {
        await this.views.addPriorApproval(tx, {
          requestId,
          itemId: item.itemId,
          identityId: view.requester.id,
          resourceId: item.resourceId,
          role: item.role,
          approvalExpiresAt: event.data.approvalExpiresAt,
        });
      }
    }
    if (event.type === 'ApprovalExpired') await this.views.removePriorApproval(tx, requestId, event.data.itemId);
  }
}
