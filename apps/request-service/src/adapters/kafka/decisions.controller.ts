import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { TOPICS } from '@kairos/contracts';
import { InboxContext, PoisonMessageError } from '@kairos/messaging';
import { JsonLogger } from '@kairos/observability';
import { InvalidEventError } from '../../domain/invalid-event.error';
import { RecordDecision } from '../../use-cases/record-decision/record-decision';

/** The topics whose every message is a decision about a request, recorded on its stream. */
export const DECISION_TOPICS = [TOPICS.approvalDecisions, TOPICS.provisioningResults, TOPICS.expiryEvents, TOPICS.notifierEscalations];

/**
 * What the other services decided (reviews, provisioning results, timers, review escalations),
 * handed to the record-decision use case. The messages were authenticated and schema-checked by the
 * runtime first. The inbox drops a redelivered message; event ids derived from the message id make
 * even a crash between the append and the inbox commit harmless. A refusal of the use case (the
 * decider refused the message for good) is dead-lettered by the transport with its code and detail;
 * anything else is retried in place (see DecisionInbox).
 */
@Controller()
export class DecisionsController {
  constructor(
    private readonly recordDecision: RecordDecision,
    private readonly logger: JsonLogger,
  ) {}

  @EventPattern(DECISION_TOPICS)
  async record(@Ctx() context: InboxContext): Promise<void> {
    const received = context.message;
    try {
      const { changed } = await this.recordDecision.execute(received);
      if (!changed) this.logger.debug('message changed nothing (late or already recorded)', { type: received.type, id: received.id });
    } catch (error) {
      // The decider produced an event its schema refuses: recording this message can never work.
      if (error instanceof InvalidEventError) throw new PoisonMessageError(error.message);
      throw error;
    }
  }
}
