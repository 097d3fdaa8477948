import { isWithinDurationBound } from '@kairos/contracts';

/**
 * ISO 8601 durations (`P1Y2M3W4DT5H6M7.5S`), added to instants in UTC. Years and months are
 * calendar units (a month from 31 January is the last day of February), so two durations are only
 * comparable from a given instant: `compareDurations(a, b, from)`.
 */
export interface Duration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

const PATTERN =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export const parseDuration = (text: string): Duration | undefined => {
  const match = PATTERN.exec(text);
  if (!match) return undefined;
  const [years, months, weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0));
  const parts = { years, months, weeks, days, hours, minutes, seconds };
  // Beyond the one bound every duration in Kairos has, it is not a duration Kairos can add to an instant.
  if (!isWithinDurationBound(parts)) return undefined;
  return {
    years: years ?? 0,
    months: months ?? 0,
    weeks: weeks ?? 0,
    days: days ?? 0,
    hours: hours ?? 0,
    minutes: minutes ?? 0,
    seconds: seconds ?? 0,
  };
};

export const isDuration = (text: string): boolean => parseDuration(text) !== undefined;

const toDuration = (duration: string | Duration): Duration => {
  if (typeof duration !== 'string') return duration;
  const parsed = parseDuration(duration);
  if (!parsed) throw new RangeError(`not an ISO 8601 duration: '${duration}'`);
  return parsed;
};

export const toEpochMs = (instant: string): number => {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO 8601 instant: '${instant}'`);
  return ms;
};

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

export const addDurationMs = (instantMs: number, duration: string | Duration): number => {
  const d = toDuration(duration);
  const start = new Date(instantMs);
  const monthIndex = start.getUTCMonth() + d.months + 12 * d.years;
  const year = start.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = ((monthIndex % 12) + 12) % 12;
  const day = Math.min(start.getUTCDate(), daysInMonth(year, month));
  const calendar = Date.UTC(
    year,
    month,
    day,
    start.getUTCHours(),
    start.getUTCMinutes(),
    start.getUTCSeconds(),
    start.getUTCMilliseconds(),
  );
  const fixed = (((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60_000 + Math.round(d.seconds * 1000);
  return calendar + fixed;
};

/** `instant + duration`, as an ISO 8601 UTC instant. */
export const addDuration = (instant: string, duration: string | Duration): string =>
  new Date(addDurationMs(toEpochMs(instant), duration)).toISOString();

/** Negative when `a` is shorter than `b` counted from `from`, 0 when equal, positive when longer. */
export const compareDurations = (a: string | Duration, b: string | Duration, from: string): number => {
  const start = toEpochMs(from);
  return addDurationMs(start, a) - addDurationMs(start, b);
};

export const isZeroDuration = (duration: string | Duration): boolean => addDurationMs(0, duration) === 0;

/** Compares two ISO instants by time, not by text (offsets and precision may differ). */
export const compareInstants = (a: string, b: string): number => toEpochMs(a) - toEpochMs(b);
