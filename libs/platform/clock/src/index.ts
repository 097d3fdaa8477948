/**
 * The one clock of every service. Domain code never reads time: it is handed `now`; services take
 * it from an injected `Clock`, so tests drive time (a fixed or short clock) without waiting.
 */
export interface Clock {
  now(): Date;
}

/** Nest injection token of the service's `Clock`. */
export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };
