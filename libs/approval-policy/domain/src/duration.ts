import { isWithinDurationBound } from '@kairos/contracts';

/**
 * ISO 8601 durations limited to units of fixed length: weeks, days, hours, minutes and seconds
 * (fractional seconds allowed). Years and months are refused because their length depends on the
 * calendar, and a policy limit that means different things in February and March is no limit.
 * A day is 24 hours: every instant in Kairos is UTC.
 */
const PATTERN = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

const SECONDS = { week: 604_800, day: 86_400, hour: 3_600, minute: 60 } as const;

export const SEVEN_DAYS_SECONDS = 7 * SECONDS.day;

/** Seconds in `text`, or `undefined` when it is not a supported ISO 8601 duration. */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match;
  if ([weeks, days, hours, minutes, seconds].every((part) => part === undefined)) return undefined;
  if (text.trim().endsWith('T')) return undefined;
  const total =
    num(weeks) * SECONDS.week +
    num(days) * SECONDS.day +
    num(hours) * SECONDS.hour +
    num(minutes) * SECONDS.minute +
    num(seconds?.replace(',', '.'));
  // Beyond the one bound every duration in Kairos has (see MAX_DURATION_SECONDS), it is not one.
  return Number.isFinite(total) && isWithinDurationBound({ seconds: total }) ? total : undefined;
}

/** `instant` (ISO 8601 date-time) moved forward by `duration`, as an ISO 8601 UTC string. */
export function addDuration(instant: string, duration: string): string {
  const start = Date.parse(instant);
  if (Number.isNaN(start)) throw new InvalidDurationError(`not an instant: ${instant}`);
  const seconds = parseDuration(duration);
  if (seconds === undefined) throw new InvalidDurationError(`not a supported ISO 8601 duration: ${duration}`);
  return new Date(start + Math.round(seconds * 1000)).toISOString();
}

/** A canonical ISO 8601 duration for a whole number of seconds, e.g. 93784 → "P1DT2H3M4S". */
export function formatDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) throw new InvalidDurationError(`cannot format ${totalSeconds}`);
  let rest = totalSeconds;
  const days = Math.floor(rest / SECONDS.day);
  rest -= days * SECONDS.day;
  const hours = Math.floor(rest / SECONDS.hour);
  rest -= hours * SECONDS.hour;
  const minutes = Math.floor(rest / SECONDS.minute);
  rest -= minutes * SECONDS.minute;
  const seconds = Math.round(rest * 1000) / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

export class InvalidDurationError extends Error {
  readonly code = 'POLICY.INVALID_DURATION';
}

function num(part: string | undefined): number {
  return part === undefined ? 0 : Number(part);
}
