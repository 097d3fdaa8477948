import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TOPICS, type InternalMessage } from '@kairos/contracts';
import { commandFromMessage, isAccessRequestError } from '@kairos/access-request-domain';
import { MessagingRuntime, PoisonMessageError, type ReceivedMessage } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { AccessRequestStore, InvalidEventError } from '../eventstore/access-request.store';
import { CLOCK, type Clock } from '@kairos/clock';

export const RECORDER_GROUP = 'request-service';
const SYSTEM_ACTOR = { id: 'system:request-service', roles: ['system'] } as const;

/**
 * Records what the other services decided (reviews, provisioning results, timers) on the request's
 * stream. The inbox drops a redelivered message; event ids derived from the message id make even a
 * crash between the append and the inbox commit harmless.
 */
@Injectable()
export class DecisionRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly messaging: MessagingRuntime;

  constructor(
    @Inject(Kafka) kafka: Kafka,
    dataSource: DataSource,
    private readonly store: AccessRequestStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly logger: JsonLogger,
    metrics: ServiceMetrics,
  ) {
    this.messaging = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: RECORDER_GROUP,
      topics: [TOPICS.approvalDecisions, TOPICS.provisioningResults, TOPICS.expiryEvents, TOPICS.notifierEscalations],
      handle: (message) => this.record(message),
      log: logger,
      metrics,
      // Its facts go to EventStoreDB, and the stream relay publishes them: no outbox here.
      outbox: false,
      // Only the decider's refusals are the message's fault; anything else (EventStoreDB restarting,
      // say) must not send a decision to the dead-letter topic: Kafka redelivers it instead.
      isTransient: (error) => !(error instanceof PoisonMessageError),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.messaging.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.messaging.stop();
  }

  private async record(received: ReceivedMessage): Promise<void> {
    const message = { type: received.type, data: received.data } as InternalMessage;
    const command = commandFromMessage(message, { now: this.clock.now().toISOString(), actor: SYSTEM_ACTOR, correlationId: received.correlationId });
    try {
      const result = await this.store.execute(message.data.requestId, command, { causationId: received.id });
      if (result.events.length === 0) this.logger.debug('message changed nothing (late or already recorded)', { type: received.type, id: received.id });
    } catch (error) {
      // The decider refused it for good (e.g. a review the snapshot does not allow): retrying cannot
      // help, so it goes to the dead-letter topic with the refusal, where people see it.
      if (isAccessRequestError(error)) throw new PoisonMessageError(`${error.code}: ${error.message}`);
      if (error instanceof InvalidEventError) throw new PoisonMessageError(error.message);
      throw error;
    }
  }
}
