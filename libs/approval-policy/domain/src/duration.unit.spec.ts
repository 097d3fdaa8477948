import fc from 'fast-check';
import { addDuration, formatDuration, InvalidDurationError, parseDuration } from './index';

describe('parseDuration', () => {
  it.each<[string, number | undefined]>([
    ['PT1S', 1],
    ['PT1.5S', 1.5],
    ['PT0,25S', 0.25],
    ['PT15M', 900],
    ['PT8H', 28_800],
    ['P1D', 86_400],
    ['P1W', 604_800],
    ['P1DT2H3M4S', 93_784],
    ['P7D', 604_800],
    ['PT0S', 0],
    [' PT1H ', 3_600],
    ['P', undefined],
    ['PT', undefined],
    ['P1DT', undefined],
    ['P1Y', undefined],
    ['P1M', undefined],
    ['PT1.5H', undefined],
    ['-PT1H', undefined],
    ['1h', undefined],
    ['', undefined],
    ['pt1h', undefined],
  ])('%j is %s seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
});

describe('addDuration', () => {
  it.each([
    ['2025-03-10T09:00:00.000Z', 'PT12H', '2025-03-10T21:00:00.000Z'],
    ['2025-02-28T12:00:00Z', 'P1D', '2025-03-01T12:00:00.000Z'],
    ['2025-03-10T09:00:00.000Z', 'PT0.5S', '2025-03-10T09:00:00.500Z'],
  ])('%s + %s = %s', (start, duration, end) => {
    expect(addDuration(start, duration)).toBe(end);
  });

  it('refuses what it cannot read', () => {
    expect(() => addDuration('yesterday', 'PT1H')).toThrow(InvalidDurationError);
    expect(() => addDuration('2025-03-10T09:00:00.000Z', 'P1M')).toThrow(InvalidDurationError);
  });
});

describe('formatDuration', () => {
  it('round-trips whole seconds through parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400 }), (seconds) => {
        expect(parseDuration(formatDuration(seconds))).toBe(seconds);
      }),
    );
  });

  it.each([
    [0, 'PT0S'],
    [604_800, 'P7D'],
    [93_784, 'P1DT2H3M4S'],
    [5_400, 'PT1H30M'],
  ])('%i seconds is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
