import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { InboxContext } from '@kairos/messaging';
import { TIMER_EVENT_TYPES } from '../../domain/plan';
import { ScheduleTimers } from '../../use-cases/schedule-timers/schedule-timers';
import { TimerWakeups } from '../firing/wakeups';
import { PostgresTimerSchedule } from '../postgres/timer.repository';

/**
 * The events of access-request.events that can start, move or stop timers (`TIMER_EVENT_TYPES`),
 * each in its inbox transaction; the other types are passed over unread by the inbox transport.
 */
@Controller()
export class RequestEventsController {
  constructor(
    private readonly scheduleTimers: ScheduleTimers,
    private readonly wakeups: TimerWakeups,
  ) {}

  @EventPattern(TIMER_EVENT_TYPES)
  async onRequestEvent(@Ctx() context: InboxContext): Promise<void> {
    const scheduled = await this.scheduleTimers.execute(context.message, new PostgresTimerSchedule(context.transaction));
    this.wakeups.scheduled(scheduled);
  }
}
