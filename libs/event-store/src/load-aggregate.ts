import { StreamNotFoundError, type EventStoreDBClient, type JSONType } from '@eventstore/db-client';
import type { DomainEvent } from './domain-event';

export interface LoadedAggregate<S, E> {
  readonly state: S;
  readonly revision: bigint | 'no_stream';
  readonly events: readonly E[];
}

/** An event as recorded: its type, JSON data and metadata (which names the schema version). */
export interface RecordedJsonEvent {
  readonly type: string;
  readonly data: JSONType;
  readonly metadata: JSONType | undefined;
}

/**
 * Reads a stream from its start and folds it; a stream that does not exist is the initial state.
 * `read` turns each recorded event into what `evolve` takes (upcasting older versions); without it
 * the event is passed as recorded.
 */
export async function loadAggregate<S, E extends DomainEvent>(
  client: EventStoreDBClient,
  stream: string,
  evolve: (state: S, event: E) => S,
  initialState: S,
  read?: (recorded: RecordedJsonEvent) => E,
): Promise<LoadedAggregate<S, E>> {
  let state = initialState;
  let revision: bigint | 'no_stream' = 'no_stream';
  const events: E[] = [];
  try {
    for await (const resolved of client.readStream(stream)) {
      const recorded = resolved.event;
      if (!recorded) continue;
      revision = recorded.revision;
      if (!recorded.isJson) continue;
      const raw: RecordedJsonEvent = { type: recorded.type, data: recorded.data as JSONType, metadata: recorded.metadata as JSONType | undefined };
      const event = read ? read(raw) : (raw as E);
      state = evolve(state, event);
      events.push(event);
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return { state, revision, events };
}
