import { formatValidationErrors, validateEvent, type AccessRequestEvent } from '@kairos/contracts';
import type { AccessRequestCommand } from '../commands';
import { decide } from '../decide';
import { AccessRequestError, type AccessRequestErrorCode } from '../errors';
import { fold, type AccessRequestState } from '../state';

/** Every event the decider emits must match its published schema exactly (closed: no stray fields). */
export const assertEventsMatchSchemas = (events: readonly AccessRequestEvent[]): void => {
  for (const event of events) {
    const result = validateEvent(event.type, event.data, { closed: true });
    if (!result.ok)
      throw new Error(`${event.type} does not match its schema: ${formatValidationErrors(result.errors)}`);
  }
};

/** Runs commands one after the other, keeping the events: a quick way to build a history. */
export const history = (...commands: AccessRequestCommand[]): AccessRequestEvent[] => {
  const events: AccessRequestEvent[] = [];
  for (const command of commands) events.push(...decide(command, fold(events)));
  return events;
};

export const given = (...events: AccessRequestEvent[]) => {
  const state: AccessRequestState = fold(events);
  return {
    state,
    when: (command: AccessRequestCommand) => {
      const run = () => decide(command, state);
      return {
        /** The whole events, in order (build them with `expected.*` from `./events`); returns the state after them. */
        then: (expected: AccessRequestEvent[]) => {
          const actual = run();
          assertEventsMatchSchemas(actual);
          expect(actual).toEqual(expected);
          return fold(actual, state);
        },
        thenNothing: () => {
          expect(run()).toEqual([]);
        },
        thenThrows: (code: AccessRequestErrorCode) => {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(AccessRequestError);
          expect((thrown as AccessRequestError).code).toBe(code);
          return thrown as AccessRequestError;
        },
      };
    },
  };
};
