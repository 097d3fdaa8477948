import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { TOPICS } from '@kairos/contracts';
import { InboxContext } from '@kairos/messaging';
import { ScheduleTimers } from '../../use-cases/schedule-timers/schedule-timers';
import { TimerWakeups } from '../firing/wakeups';
import { PostgresTimerSchedule } from '../postgres/timer.repository';

/** Every event of access-request.events starts, moves or stops timers, in its inbox transaction. */
@Controller()
export class RequestEventsController {
  constructor(
    private readonly scheduleTimers: ScheduleTimers,
    private readonly wakeups: TimerWakeups,
  ) {}

  @EventPattern(TOPICS.accessRequestEvents)
  async onRequestEvent(@Ctx() context: InboxContext): Promise<void> {
    const scheduled = await this.scheduleTimers.execute(context.message, new PostgresTimerSchedule(context.transaction));
    this.wakeups.scheduled(scheduled);
  }
}
