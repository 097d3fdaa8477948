import { addDuration, compareDurations, isZeroDuration, parseDuration } from './duration';

describe('ISO 8601 durations', () => {
  it('parses every designator, including weeks and fractional seconds', () => {
    expect(parseDuration('P1Y2M3W4DT5H6M7.5S')).toEqual({
      years: 1,
      months: 2,
      weeks: 3,
      days: 4,
      hours: 5,
      minutes: 6,
      seconds: 7.5,
    });
  });

  it.each(['', 'P', 'PT', '1H', 'PT1D', 'P1H', 'PT-1H', 'p1d'])('refuses %p', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('adds clock units exactly', () => {
    expect(addDuration('2025-03-01T09:00:00Z', 'PT2H30M')).toBe('2025-03-01T11:30:00.000Z');
    expect(addDuration('2025-03-01T09:00:00Z', 'PT0.25S')).toBe('2025-03-01T09:00:00.250Z');
  });

  it('adds months on the calendar, clamping to the end of a shorter month', () => {
    expect(addDuration('2025-01-31T00:00:00Z', 'P1M')).toBe('2025-02-28T00:00:00.000Z');
    expect(addDuration('2024-01-31T00:00:00Z', 'P1M')).toBe('2024-02-29T00:00:00.000Z');
    expect(addDuration('2024-02-29T12:00:00Z', 'P1Y')).toBe('2025-02-28T12:00:00.000Z');
    expect(addDuration('2025-11-15T00:00:00Z', 'P3M')).toBe('2026-02-15T00:00:00.000Z');
  });

  it('counts days as 24 hours in UTC', () => {
    expect(addDuration('2025-03-29T12:00:00Z', 'P1W1D')).toBe('2025-04-06T12:00:00.000Z');
  });

  it('compares durations from a given instant', () => {
    expect(compareDurations('PT90M', 'PT1H', '2025-03-01T00:00:00Z')).toBeGreaterThan(0);
    expect(compareDurations('P1D', 'PT24H', '2025-03-01T00:00:00Z')).toBe(0);
    expect(compareDurations('P1M', 'P30D', '2025-02-01T00:00:00Z')).toBeLessThan(0);
    expect(compareDurations('P1M', 'P30D', '2025-03-01T00:00:00Z')).toBeGreaterThan(0);
  });

  it('knows a zero duration', () => {
    expect(isZeroDuration('PT0S')).toBe(true);
    expect(isZeroDuration('P0D')).toBe(true);
    expect(isZeroDuration('PT1S')).toBe(false);
  });

  it('refuses to add something that is not a duration', () => {
    expect(() => addDuration('2025-03-01T00:00:00Z', 'soon')).toThrow(RangeError);
    expect(() => addDuration('yesterday', 'PT1H')).toThrow(RangeError);
  });
});
