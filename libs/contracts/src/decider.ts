/**
 * The one decider shape (decide, evolve, initial state), shared by the pure domain that implements
 * it and the event-store adapter that runs it against a stream.
 */
export interface Decider<Command, State, Event> {
  readonly decide: (command: Command, state: State) => readonly Event[];
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
}
