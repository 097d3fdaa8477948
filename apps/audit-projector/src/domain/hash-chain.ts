import { hash } from 'node:crypto';

/** The first link of every stream's chain. */
export const GENESIS = '0'.repeat(64);

export interface ChainableEvent {
  readonly id: string;
  readonly type: string;
  readonly revision: bigint;
  readonly data: unknown;
  readonly metadata: unknown;
}

/**
 * JSON with object keys sorted at every level, so equal values always hash alike: for objects
 * `{${keys.filter(defined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`,
 * for arrays `[${array.map(canonicalJson).join(',')}]` (a hole, as `join` gives it, empty).
 *
 * It runs for every event a replay reads, so the usual value (plain objects, arrays and primitives,
 * as JSON.parse makes them) goes to the native `JSON.stringify`, after its objects' keys are put in
 * order: it writes the same text, undefined members left out as above. Anything else (an integer-like
 * key, which no object keeps in insertion order; a hole; bytes; a Date) is written by hand.
 */
export function canonicalJson(value: unknown): string {
  const ordered = inKeyOrder(value);
  return ordered === BY_HAND ? byHand(value) : (JSON.stringify(ordered) ?? 'null');
}

const BY_HAND = Symbol('by hand');
/** An array index, which objects list first in numeric order whatever the insertion order. */
const INDEX_LIKE = /^(?:0|[1-9]\d*)$/;

/** The value with every object's keys in sorted order (itself when they already are), or BY_HAND. */
function inKeyOrder(value: unknown): unknown {
  if (value === null) return value;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'object':
      break;
    default:
      return BY_HAND; // a function, symbol or bigint: JSON.stringify would leave it out or throw
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return BY_HAND;
      const v: unknown = value[i];
      const o = inKeyOrder(v);
      if (o === BY_HAND) return BY_HAND;
      if (o !== v) (copy ??= value.slice())[i] = o;
    }
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return BY_HAND;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const first = keys[i]!.charCodeAt(0);
    if (first >= 0x30 && first <= 0x39 && INDEX_LIKE.test(keys[i]!)) return BY_HAND;
    if (i > 0 && keys[i - 1]! > keys[i]!) sorted = false;
  }
  let changed = !sorted;
  const values: unknown[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const v = record[keys[i]!];
    const o = inKeyOrder(v);
    if (o === BY_HAND) return BY_HAND;
    if (o !== v) changed = true;
    values[i] = o;
  }
  if (!changed) return value;
  const order = keys.map((_, i) => i);
  if (!sorted) order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
  // No prototype, so an own `__proto__` key (JSON.parse makes them) stays a plain key.
  const copy = Object.create(null) as Record<string, unknown>;
  for (const i of order) copy[keys[i]!] = values[i];
  return copy;
}

/** canonicalJson written out by hand, for what JSON.stringify cannot be trusted with. */
function byHand(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      if (i in value) out += byHand(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${byHand(v)}`;
  }
  return `${out}}`;
}

/** One-shot hashing: a third of the cost of a Hash object for such short texts. */
const sha256 = (text: string): string => hash('sha256', text, 'hex');

/** What the event says, independent of its place in the chain. */
export function eventDigest(event: ChainableEvent): string {
  return sha256([event.id, event.type, event.revision.toString(), canonicalJson(event.data), canonicalJson(event.metadata)].join('\n'));
}

/** One link: the previous link and this event's digest, so no event can change without every later link changing. */
export function chainLink(previous: string, digest: string): string {
  return sha256(`${previous}\n${digest}`);
}
