import type { AccessRequestEvent } from './access-request-events';
import { accessRequestEventCatalogue, isAccessRequestEventType } from './access-request-events.catalogue';

/** An event as read from the store: `metadata.schemaVersion` is absent on version 1 events. */
export interface RecordedEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: { readonly schemaVersion?: number } & Readonly<Record<string, unknown>>;
}

/** Turns the data of version `from` into the data of version `from + 1`. Pure, never throws on good input. */
export type Upcaster = (data: unknown) => unknown;

/** event type → version it reads → upcaster to the next version. */
export type UpcasterRegistry = Readonly<Record<string, Readonly<Record<number, Upcaster>>>>;

export class UpcastError extends Error {
  constructor(
    readonly eventType: string,
    readonly fromVersion: number,
    readonly toVersion: number,
  ) {
    super(`no upcaster for ${eventType} from v${fromVersion} towards v${toVersion}`);
    this.name = 'UpcastError';
  }
}

export const createUpcaster =
  (registry: UpcasterRegistry, currentVersions: Readonly<Record<string, number>>) =>
  (event: RecordedEvent): { type: string; data: unknown } => {
    const target = currentVersions[event.type];
    if (target === undefined) return { type: event.type, data: event.data };
    let version = event.metadata?.schemaVersion ?? 1;
    let data = event.data;
    while (version < target) {
      const step = registry[event.type]?.[version];
      if (!step) throw new UpcastError(event.type, version, target);
      data = step(data);
      version += 1;
    }
    return { type: event.type, data };
  };

/**
 * Upcasters of the request stream. When an event gets version N+1, keep the old TS shape in
 * `access-request-events.v<N>.ts`, add `{ <Event>: { <N>: (data) => newData } }` here, and a test
 * per case. Empty while every event is at version 1.
 */
export const accessRequestUpcasters: UpcasterRegistry = {};

// What readers and the writer use: the catalogue and the upcasters above, plus whatever a test
// registered (`registerUpcasterForTests`). One table, so the version a writer records is always
// the version readers bring older events to.
const currentVersions: Record<string, number> = Object.fromEntries(
  Object.entries(accessRequestEventCatalogue).map(([type, entry]) => [type, entry.version]),
);
const upcasters: Record<string, Record<number, Upcaster>> = Object.fromEntries(
  Object.entries(accessRequestUpcasters).map(([type, steps]) => [type, { ...steps }]),
);

const upcastAny = createUpcaster(upcasters, currentVersions);

/** The version of `type` that writers record today and readers upcast to. */
export const currentSchemaVersion = (type: string): number | undefined => currentVersions[type];

/** Metadata the request service writes next to every event so readers know its shape. */
export const eventMetadataFor = (type: keyof typeof accessRequestEventCatalogue): { schemaVersion: number } => ({
  schemaVersion: currentVersions[type] ?? accessRequestEventCatalogue[type].version,
});

/**
 * Test-only: pretends `type` got a new version whose data `upcaster` makes from the current one,
 * as a later release would by bumping the catalogue and adding to `accessRequestUpcasters`.
 * Returns the undo. Never call it outside tests.
 */
export function registerUpcasterForTests(type: AccessRequestEvent['type'], upcaster: Upcaster): () => void {
  const from = currentVersions[type]!;
  (upcasters[type] ??= {})[from] = upcaster;
  currentVersions[type] = from + 1;
  return () => {
    delete upcasters[type]![from];
    currentVersions[type] = from;
  };
}

/** Brings a recorded request-stream event to the current shape of its type. */
export const upcast = (event: RecordedEvent): AccessRequestEvent => {
  if (!isAccessRequestEventType(event.type)) throw new UpcastError(event.type, 0, 0);
  return upcastAny(event) as AccessRequestEvent;
};

/** A request-stream event as every reader must see it: the current shape, whatever version was recorded. */
export type ReadEvent = AccessRequestEvent & {
  /** The event's metadata as recorded (an object; empty when there was none). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The version the event was recorded in (1 when its metadata names none). */
  readonly recordedVersion: number;
};

export class RecordedEventError extends Error {
  constructor(
    readonly eventType: string,
    reason: string,
  ) {
    super(`recorded ${eventType} cannot be read: ${reason}`);
    this.name = 'RecordedEventError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The schema version named in an event's metadata; an event recorded without one is version 1. */
export function recordedSchemaVersion(type: string, metadata: unknown): number {
  const version = isRecord(metadata) ? metadata.schemaVersion : undefined;
  if (version === undefined || version === null) return 1;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new RecordedEventError(type, `metadata.schemaVersion ${JSON.stringify(version)} is not a version number`);
  }
  return version;
}

/**
 * THE way to read a recorded request-stream event (the request service's fold and read model, the
 * audit projector live and in replay, the relay): parses the metadata, then upcasts the data from
 * the recorded version to the current one. Throws `UpcastError` for a type outside the request
 * stream or a version no upcaster reaches, `RecordedEventError` for unreadable metadata; readers
 * that must not stop treat both as a poison event.
 */
export function readRecordedEvent(recorded: { readonly type: string; readonly data: unknown; readonly metadata?: unknown }): ReadEvent {
  const recordedVersion = recordedSchemaVersion(recorded.type, recorded.metadata);
  const metadata = isRecord(recorded.metadata) ? recorded.metadata : {};
  const current = upcast({ type: recorded.type, data: recorded.data, metadata: { ...metadata, schemaVersion: recordedVersion } });
  return { ...current, metadata, recordedVersion } as ReadEvent;
}

/**
 * THE way a consumer of `access-request.events` reads a message body. The relay publishes every
 * event upcast to its current version (checked against the current published schema), so a body
 * is current unless `dataschema` (`ce_dataschema`, `urn:kairos:schema:<Event>:v<N>`) names an older
 * version, which is then upcast the same way as an event read from the store.
 */
export function readPublishedEvent(message: { readonly type: string; readonly data: unknown; readonly dataschema?: string }): AccessRequestEvent {
  if (!isAccessRequestEventType(message.type)) throw new UpcastError(message.type, 0, 0);
  const named = message.dataschema ? /^urn:kairos:schema:([A-Za-z]+):v(\d+)$/.exec(message.dataschema) : null;
  if (message.dataschema && (!named || named[1] !== message.type)) {
    throw new RecordedEventError(message.type, `dataschema ${JSON.stringify(message.dataschema)} does not name a version of ${message.type}`);
  }
  const version = named ? Number(named[2]) : currentVersions[message.type]!;
  return upcast({ type: message.type, data: message.data, metadata: { schemaVersion: version } });
}
