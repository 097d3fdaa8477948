import { createHash } from 'node:crypto';

/**
 * A name-based UUID (SHA-1, version 5 layout). Events recorded because of a Kafka message get ids
 * derived from the message id, so recording the same message twice appends the same event ids and
 * EventStoreDB treats the second append as the idempotent retry it is.
 */
export function uuidFromName(name: string): string {
  const hash = createHash('sha1').update(`kairos:${name}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
