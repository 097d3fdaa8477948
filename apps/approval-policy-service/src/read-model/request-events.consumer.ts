import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource, type EntityManager } from 'typeorm';
import { TOPICS, type AccessRequestEvent } from '@kairos/contracts';
import {
  contractSchemas,
  IdempotentConsumer,
  MessagePublisher,
  OutboxRelay,
  PoisonMessageError,
  type ReceivedMessage,
} from '@kairos/messaging';
import { JsonLogger } from '@kairos/observability';
import { evolve } from './request-view';
import { RequestViewsRepository } from './request-views.repository';

export const CONSUMER_GROUP = 'approval-policy-service';

/**
 * Keeps the read copy of requests (for inboxes, eligibility and history) and the prior approvals
 * (for reuse) from the public request stream, and runs the outbox relay that sends reviews out.
 */
@Injectable()
export class MessagingRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly publisher: MessagePublisher;
  readonly relay: OutboxRelay;
  private readonly consumer: IdempotentConsumer;

  constructor(
    @Inject(Kafka) kafka: Kafka,
    @Inject(DataSource) dataSource: DataSource,
    private readonly views: RequestViewsRepository,
    private readonly logger: JsonLogger,
  ) {
    this.publisher = new MessagePublisher(kafka, contractSchemas);
    this.relay = new OutboxRelay(dataSource, this.publisher, {
      onError: (error) =>
        this.logger.warn('outbox relay failed; retrying', { error: error instanceof Error ? error.message : String(error) }),
    });
    this.consumer = new IdempotentConsumer({
      kafka,
      groupId: CONSUMER_GROUP,
      topics: [TOPICS.accessRequestEvents],
      dataSource,
      publisher: this.publisher,
      schemas: contractSchemas,
      handle: (message, tx) => this.apply(message, tx),
      log: { warn: (msg, fields) => this.logger.warn(msg, fields), error: (msg, fields) => this.logger.error(msg, fields) },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.relay.start();
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
    await this.relay.stop();
    await this.publisher.disconnect();
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
