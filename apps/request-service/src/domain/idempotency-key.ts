import { createHash } from 'node:crypto';
import { refuse } from '@kairos/refusal';

/** How long a key is remembered: far longer than any client keeps retrying one call. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Refuses an `Idempotency-Key` that is not 1 to 255 printable ASCII characters. */
export function checkIdempotencyKey(key: string): void {
  if (!KEY_PATTERN.test(key)) {
    throw refuse.invalid('IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1 to 255 printable ASCII characters');
  }
}

/** Keys created before this instant are forgotten: an expired key is a fresh one. */
export function idempotencyHorizon(now: Date): Date {
  return new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000);
}

/** A stable digest of a JSON body (keys sorted), so the same intent always hashes the same. */
export function bodyHash(body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
              .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
          )
        : value;
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex');
}
