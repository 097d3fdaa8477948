import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Decider } from '@kairos/contracts';
import { append, type AppendOptions } from './append';
import type { DomainEvent, EventToAppend, LogPosition } from './domain-event';
import { loadAggregate, type RecordedJsonEvent } from './load-aggregate';

export type { Decider };

export interface CommandResult<S, E> {
  readonly events: readonly E[];
  readonly state: S;
  /** Revision of the stream after the command; 'no_stream' when nothing was ever written. */
  readonly nextRevision: bigint | 'no_stream';
  /** Position of the last appended event, null when the command decided nothing. */
  readonly position: LogPosition | null;
}

export class ConcurrencyRetriesExhaustedError extends Error {
  readonly code = 'EVENT_STORE.CONCURRENCY_RETRIES_EXHAUSTED';
  constructor(
    readonly stream: string,
    readonly attempts: number,
  ) {
    super(`stream ${stream} kept changing; gave up after ${attempts} attempts`);
  }
}

/**
 * Read, fold, decide, append at the revision read. When another writer got there first the
 * command is decided again against the new state, so it never acts on a stale view.
 */
export async function handleCommand<C, S, E extends DomainEvent>(options: {
  readonly client: EventStoreDBClient;
  readonly stream: string;
  readonly decider: Decider<C, S, E>;
  readonly command: C;
  readonly maxRetries?: number;
  /** Gives each new event its id (for idempotent retries and downstream de-duplication). */
  readonly eventId?: (event: E, index: number) => string;
  /** Turns a recorded event into what the decider folds (upcasting older versions). */
  readonly read?: (recorded: RecordedJsonEvent) => E;
  /** Written into each appended event's metadata as `schemaVersion`. */
  readonly schemaVersionOf?: AppendOptions['schemaVersionOf'];
}): Promise<CommandResult<S, E>> {
  const { client, stream, decider, command } = options;
  const maxRetries = options.maxRetries ?? 3;
  for (let attempt = 0; attempt <= maxRetries; attempt++) {
    const { state, revision } = await loadAggregate(client, stream, (s: S, e: E) => decider.evolve(s, e), decider.initialState(), options.read);
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, nextRevision: revision, position: null };
    const toAppend: EventToAppend[] = events.map((e, i) => ({ ...e, id: options.eventId?.(e, i) }));
    const result = await append(client, stream, toAppend, revision, { schemaVersionOf: options.schemaVersionOf });
    if (result.ok) {
      return {
        events,
        state: events.reduce((s, e) => decider.evolve(s, e), state),
        nextRevision: result.nextRevision,
        position: result.position,
      };
    }
  }
  throw new ConcurrencyRetriesExhaustedError(stream, maxRetries + 1);
}
