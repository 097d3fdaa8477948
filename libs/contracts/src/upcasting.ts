import type { AccessRequestEvent } from './access-request-events';
import { accessRequestEventCatalogue, isAccessRequestEventType } from './access-request-events.catalogue';

/** An event as read from the store: `metadata.schemaVersion` is absent on version 1 events. */
export interface RecordedEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: { readonly schemaVersion?: number } & Readonly<Record<string, unknown>>;
}

/** Metadata the request service writes next to every event so readers know its shape. */
export const eventMetadataFor = (type: keyof typeof accessRequestEventCatalogue): { schemaVersion: number } => ({
  schemaVersion: accessRequestEventCatalogue[type].version,
});

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

const currentVersions: Record<string, number> = Object.fromEntries(
  Object.entries(accessRequestEventCatalogue).map(([type, entry]) => [type, entry.version]),
);

const upcastAny = createUpcaster(accessRequestUpcasters, currentVersions);

/** Brings a recorded request-stream event to the current shape of its type. */
export const upcast = (event: RecordedEvent): AccessRequestEvent => {
  if (!isAccessRequestEventType(event.type)) throw new UpcastError(event.type, 0, 0);
  return upcastAny(event) as AccessRequestEvent;
};
