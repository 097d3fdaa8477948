import type { AccessRequestEvent } from '@kairos/contracts';
import type { AccessRequestCommand } from './commands';
import { decide } from './decide';
import { evolve, initialState, type AccessRequestState } from './state';

export interface Decider<Command, State, Event> {
  readonly decide: (command: Command, state: State) => Event[];
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
}

export const accessRequestDecider: Decider<AccessRequestCommand, AccessRequestState, AccessRequestEvent> = {
  decide,
  evolve,
  initialState,
};
