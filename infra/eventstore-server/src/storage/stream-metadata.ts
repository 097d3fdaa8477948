import type { EventRecord } from './event-record';

export interface StreamMetadata {
  readonly maxCount?: number;
  readonly maxAge?: number;
  readonly truncateBefore?: number;
  readonly raw: Readonly<Record<string, unknown>>;
}

const parsed = new WeakMap<EventRecord, StreamMetadata>();

/** Reads the system keys of a `$metadata` event; malformed metadata counts as empty, as in EventStoreDB. */
export function parseStreamMetadata(record: EventRecord): StreamMetadata {
  const cached = parsed.get(record);
  if (cached) return cached;
  let raw: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(Buffer.from(record.data).toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) raw = value as Record<string, unknown>;
  } catch {
    raw = {};
  }
  const meta: StreamMetadata = {
    maxCount: positiveNumber(raw.$maxCount),
    maxAge: positiveNumber(raw.$maxAge),
    truncateBefore: positiveNumber(raw.$tb, true),
    raw,
  };
  parsed.set(record, meta);
  return meta;
}

function positiveNumber(value: unknown, allowZero = false): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return value > 0 || (allowZero && value === 0) ? value : undefined;
}
