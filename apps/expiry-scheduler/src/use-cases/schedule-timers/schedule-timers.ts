import type { Clock } from '@kairos/clock';
import { isAccessRequestEventType, readPublishedEvent } from '@kairos/contracts';
import { refuse } from '@kairos/refusal';
import { planTimers } from '../../domain/plan';
import type { RequestEventMessage, TimerSchedule } from './ports';

/**
 * Applies one event of access-request.events to the timers (starts, moves or stops them), in the
 * transaction the event is handled in. Returns the due times it scheduled, so the firing loop can
 * wake once that transaction committed. An event it cannot read is refused (the message is
 * dead-lettered: retrying cannot make it readable).
 */
export class ScheduleTimers {
  constructor(private readonly clock: Clock) {}

  async execute(message: RequestEventMessage, timers: TimerSchedule): Promise<Date[]> {
    if (!isAccessRequestEventType(message.type)) throw refuse.unprocessable('EXPIRY.UNKNOWN_REQUEST_EVENT', `unknown request event type ${message.type}`);
    // The consumer checked the data against the event's published schema before calling us; the one
    // reader of access-request.events brings an older version (named by ce_dataschema) to the current.
    let event;
    try {
      event = readPublishedEvent({ type: message.type, data: message.data });
    } catch (error) {
      throw refuse.unprocessable('EXPIRY.UNREADABLE_REQUEST_EVENT', error instanceof Error ? error.message : String(error));
    }
    const changes = planTimers(event);
    if (changes.length === 0) return [];
    await timers.apply(changes, this.clock.now(), message.correlationId);
    return changes.flatMap((change) => (change.type === 'schedule' ? [new Date(change.timer.dueAt)] : []));
  }
}
