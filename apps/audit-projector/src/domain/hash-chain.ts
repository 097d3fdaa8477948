import { createHash } from 'node:crypto';

/** The first link of every stream's chain. */
export const GENESIS = '0'.repeat(64);

export interface ChainableEvent {
  readonly id: string;
  readonly type: string;
  readonly revision: bigint;
  readonly data: unknown;
  readonly metadata: unknown;
}

/** JSON with object keys sorted at every level, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** What the event says, independent of its place in the chain. */
export function eventDigest(event: ChainableEvent): string {
  return sha256([event.id, event.type, event.revision.toString(), canonicalJson(event.data), canonicalJson(event.metadata)].join('\n'));
}

/** One link: the previous link and this event's digest, so no event can change without every later link changing. */
export function chainLink(previous: string, digest: string): string {
  return sha256(`${previous}\n${digest}`);
}
