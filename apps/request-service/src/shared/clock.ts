// The one definition lives in @kairos/clock; this app imports it from here.
export { CLOCK, systemClock, type Clock } from '@kairos/clock';
