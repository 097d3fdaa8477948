import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { TOPICS } from '@kairos/contracts';
import { InboxContext } from '@kairos/messaging';
import { PlanNotifications } from '../../use-cases/plan-notifications/plan-notifications';
import { PgNotifierTx } from '../postgres/notifier-store';
import { NotifierMessaging } from './notifier-messaging';

/**
 * Every event of access-request.events, in its inbox transaction: what to tell whom, reminders and
 * delegations planned. A refusal (an event that can never be applied) is dead-lettered by the
 * transport.
 */
@Controller()
export class RequestEventsController {
  constructor(
    private readonly plan: PlanNotifications,
    private readonly messaging: NotifierMessaging,
  ) {}

  @EventPattern(TOPICS.accessRequestEvents)
  async onRequestEvent(@Ctx() context: InboxContext): Promise<void> {
    this.messaging.queued(await this.plan.run(new PgNotifierTx(context.transaction), context.message));
  }
}
