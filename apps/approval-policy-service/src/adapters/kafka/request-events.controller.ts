import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type AccessRequestEvent } from '@kairos/contracts';
import { InboxContext, PoisonMessageError } from '@kairos/messaging';
import { recordRequestEvent } from '../../use-cases/record-request-event/record-request-event';
import { RequestViewsRepository } from '../postgres/request-views.repository';

/**
 * Every event of the public request stream keeps this service's copy of requests (for inboxes and
 * history) and the approvals they lend (for reuse), in the message's inbox transaction.
 */
@Controller()
export class RequestEventsController {
  constructor(private readonly views: RequestViewsRepository) {}

  /** The message was authenticated and its schema checked by the runtime before this runs. */
  @EventPattern(TOPICS.accessRequestEvents)
  async record(@Payload() data: AccessRequestEvent['data'], @Ctx() context: InboxContext): Promise<void> {
    const event = { type: context.message.type, data } as AccessRequestEvent;
    const recorded = await recordRequestEvent(event, this.views.inTransaction(context.transaction));
    if (recorded.kind === 'unknown_request') throw new PoisonMessageError(recorded.reason);
  }
}
