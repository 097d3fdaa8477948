import { requestEvents } from '@kairos/access-request-domain/testing';
import { Refusal } from '@kairos/refusal';
import type { TimerChange } from '../../domain/plan';
import { HOUR, ManualClock, plus } from '../../testing/clock';
import { ScheduleTimers } from './schedule-timers';
import type { TimerSchedule } from './ports';

const T0 = '2026-03-01T09:00:00.000Z';
const e = requestEvents('req-1');

/** The changes the use case hands to its port, in order (the port itself is the PostgreSQL adapter in the int specs). */
function recorder() {
  const applied: { changes: readonly TimerChange[]; at: string; correlationId?: string }[] = [];
  const port: TimerSchedule = {
    apply: async (changes, at, correlationId) => {
      applied.push({ changes, at: at.toISOString(), ...(correlationId ? { correlationId } : {}) });
    },
  };
  return { applied, port };
}

describe('schedule timers from a request event', () => {
  const useCase = new ScheduleTimers(new ManualClock(T0));

  it('applies the planned changes at the clock’s time with the event’s correlation id, and returns the due times it scheduled', async () => {
    const { applied, port } = recorder();
    const granted = e.granted('a', 'g1', plus(T0, HOUR), T0);
    const due = await useCase.execute({ type: granted.type, data: granted.data, correlationId: 'corr-1' }, port);
    expect(due).toEqual([new Date(plus(T0, HOUR))]);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ at: T0, correlationId: 'corr-1' });
    expect(applied[0]!.changes.map((c) => c.type)).toEqual(['cancel', 'schedule']);
  });

  it('touches no timer for an event that changes no deadline', async () => {
    const { applied, port } = recorder();
    const event = e.grantRequested('a', 'g1', T0);
    expect(await useCase.execute({ type: event.type, data: event.data }, port)).toEqual([]);
    expect(applied).toEqual([]);
  });

  it('refuses an event type it does not know (the message is dead-lettered), touching no timer', async () => {
    const { applied, port } = recorder();
    const refused = await useCase.execute({ type: 'AccessGrantedForever', data: {} }, port).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Refusal);
    expect(refused).toMatchObject({ kind: 'unprocessable', code: 'EXPIRY.UNKNOWN_REQUEST_EVENT', detail: 'unknown request event type AccessGrantedForever' });
    expect(applied).toEqual([]);
  });
});
