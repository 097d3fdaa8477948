import { jsonEvent, WrongExpectedVersionError, type EventStoreDBClient, type JSONType } from '@eventstore/db-client';
import type { EventToAppend, ExpectedRevision, LogPosition } from './domain-event';

export type AppendResult =
  | { readonly ok: true; readonly nextRevision: bigint; readonly position: LogPosition }
  | { readonly ok: false; readonly reason: 'wrong_expected_version'; readonly actualRevision: bigint | 'no_stream' };

export interface AppendOptions {
  /**
   * The schema version of each event type: written into every event's metadata as
   * `schemaVersion`, so readers know which shape they read and upcast older ones.
   */
  readonly schemaVersionOf?: (type: string) => number | undefined;
}

/** The event's metadata with its schema version added (when known). */
export function withSchemaVersion(event: EventToAppend, schemaVersionOf?: AppendOptions['schemaVersionOf']): JSONType | undefined {
  const version = schemaVersionOf?.(event.type);
  if (version === undefined) return event.metadata;
  const metadata = event.metadata && typeof event.metadata === 'object' && !Array.isArray(event.metadata) ? event.metadata : {};
  return { ...metadata, schemaVersion: version };
}

/** Appends with optimistic concurrency; a conflict is a result to act on, not an exception. */
export async function append(
  client: EventStoreDBClient,
  stream: string,
  events: readonly EventToAppend[],
  expected: ExpectedRevision,
  options: AppendOptions = {},
): Promise<AppendResult> {
  // The one place domain data becomes the client's JSON type: domain events are plain JSON by contract.
  const data = events.map((e) => jsonEvent({ type: e.type, data: e.data as JSONType, metadata: withSchemaVersion(e, options.schemaVersionOf), id: e.id }));
  try {
    const result = await client.appendToStream(stream, data, { expectedRevision: expected });
    if (!result.position) throw new Error(`append to ${stream} returned no position`);
    return { ok: true, nextRevision: result.nextExpectedRevision, position: result.position };
  } catch (error) {
    if (error instanceof WrongExpectedVersionError) {
      const actual = error.actualVersion;
      return { ok: false, reason: 'wrong_expected_version', actualRevision: typeof actual === 'bigint' ? actual : 'no_stream' };
    }
    throw error;
  }
}
