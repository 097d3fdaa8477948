/**
 * The one bound on every ISO 8601 duration Kairos accepts: a request, an extension, a shortened
 * approval, a policy limit. Ten years is longer than any access should last, and small enough that
 * an instant plus the duration is always a representable date (`P99999999999999999999D` is not).
 * Both duration readers (`@kairos/access-request-domain`, `@kairos/approval-policy-domain`) refuse
 * a duration beyond it as not a duration at all, so every edge answers it with a 4xx.
 */
export const MAX_DURATION_SECONDS = 10 * 366 * 86_400;

const UPPER_SECONDS = { year: 366 * 86_400, month: 31 * 86_400, week: 7 * 86_400, day: 86_400, hour: 3_600, minute: 60 } as const;

export interface DurationParts {
  readonly years?: number;
  readonly months?: number;
  readonly weeks?: number;
  readonly days?: number;
  readonly hours?: number;
  readonly minutes?: number;
  readonly seconds?: number;
}

/**
 * True when a duration of these parts is at most `MAX_DURATION_SECONDS` long, counting years and
 * months at their longest (366 and 31 days) so the answer does not depend on the calendar.
 */
export function isWithinDurationBound(parts: DurationParts): boolean {
  const total =
    (parts.years ?? 0) * UPPER_SECONDS.year +
    (parts.months ?? 0) * UPPER_SECONDS.month +
    (parts.weeks ?? 0) * UPPER_SECONDS.week +
    (parts.days ?? 0) * UPPER_SECONDS.day +
    (parts.hours ?? 0) * UPPER_SECONDS.hour +
    (parts.minutes ?? 0) * UPPER_SECONDS.minute +
    (parts.seconds ?? 0);
  return Number.isFinite(total) && total >= 0 && total <= MAX_DURATION_SECONDS;
}
