import { jsonEvent, WrongExpectedVersionError, type EventStoreDBClient, type JSONType } from '@eventstore/db-client';
import { SpanKind, traceparentOf, withSpan } from '@kairos/observability';
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

/**
 * The event's metadata with the current trace context added as `traceparent` (when inside a
 * trace): whoever reads the event later (the Kafka relay) continues the same trace. Metadata
 * only; the event's data is never touched.
 */
export function withTraceContext(metadata: JSONType | undefined, traceparent: string | undefined): JSONType | undefined {
  if (!traceparent) return metadata;
  const base = metadata && typeof metadata === 'object' && !Array.isArray(metadata) ? metadata : {};
  return { ...base, traceparent };
}

/**
 * Appends with optimistic concurrency; a conflict is a result to act on, not an exception. The
 * append is a span, and its traceparent goes into each event's metadata.
 */
export async function append(
  client: EventStoreDBClient,
  stream: string,
  events: readonly EventToAppend[],
  expected: ExpectedRevision,
  options: AppendOptions = {},
): Promise<AppendResult> {
  const attributes = { 'db.system.name': 'eventstoredb', 'db.operation.name': 'append', 'db.collection.name': stream, 'kairos.events': events.length };
  return withSpan<AppendResult>('eventstore append', { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const traceparent = traceparentOf();
    // The one place domain data becomes the client's JSON type: domain events are plain JSON by contract.
    const data = events.map((e) =>
      jsonEvent({ type: e.type, data: e.data as JSONType, metadata: withTraceContext(withSchemaVersion(e, options.schemaVersionOf), traceparent), id: e.id }),
    );
    try {
      const result = await client.appendToStream(stream, data, { expectedRevision: expected });
      if (!result.position) throw new Error(`append to ${stream} returned no position`);
      return { ok: true, nextRevision: result.nextExpectedRevision, position: result.position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion;
        // A conflict is an answer, not a failure of the store: the span says so without an error status.
        span.setAttribute('kairos.append.conflict', true);
        return { ok: false, reason: 'wrong_expected_version', actualRevision: typeof actual === 'bigint' ? actual : 'no_stream' };
      }
      throw error;
    }
  });
}
