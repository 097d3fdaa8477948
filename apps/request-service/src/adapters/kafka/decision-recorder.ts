import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { MessagingRuntime, PoisonMessageError, type ReceivedMessage } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { Refusal } from '@kairos/refusal';
import { InvalidEventError } from '../../domain/invalid-event.error';
import { RecordDecision } from '../../use-cases/record-decision/record-decision';

export const RECORDER_GROUP = 'request-service';

/**
 * Hands what the other services decided (reviews, provisioning results, timers) to the
 * record-decision use case. The inbox drops a redelivered message; event ids derived from the
 * message id make even a crash between the append and the inbox commit harmless.
 */
@Injectable()
export class DecisionRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly messaging: MessagingRuntime;

  constructor(
    @Inject(Kafka) kafka: Kafka,
    dataSource: DataSource,
    private readonly recordDecision: RecordDecision,
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
    try {
      const { changed } = await this.recordDecision.execute(received);
      if (!changed) this.logger.debug('message changed nothing (late or already recorded)', { type: received.type, id: received.id });
    } catch (error) {
      // Refused for good (e.g. a review the snapshot does not allow): retrying cannot help, so it
      // goes to the dead-letter topic with the refusal, where people see it.
      if (error instanceof Refusal) throw new PoisonMessageError(`${error.code}: ${error.detail}`);
      if (error instanceof InvalidEventError) throw new PoisonMessageError(error.message);
      throw error;
    }
  }
}
