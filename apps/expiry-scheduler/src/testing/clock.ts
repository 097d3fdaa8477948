/** A clock the test moves by hand. */
export class ManualClock {
  private current: number;
  constructor(start: string) {
    this.current = Date.parse(start);
  }
  now(): Date {
    return new Date(this.current);
  }
  set(instant: string): void {
    this.current = Date.parse(instant);
  }
}

export const plus = (instant: string, ms: number): string => new Date(Date.parse(instant) + ms).toISOString();
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
