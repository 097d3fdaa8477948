import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { refuse } from '@kairos/refusal';

/** How long a key is remembered: far longer than any client keeps retrying one call. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type Reservation = { readonly requestId: string; readonly replay: boolean };

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

/**
 * `Idempotency-Key` for submissions. The key is bound to a request id in PostgreSQL BEFORE the
 * request is appended to its stream: whatever is lost afterwards (the append's reply, the HTTP
 * reply, the process), a retry with the same key and body finds the same request id and either
 * finds the request already on its stream or appends it then. The same key with another body is
 * refused. Keys are per caller, so one person's key never touches another's request.
 */
@Injectable()
export class IdempotencyKeys {
  constructor(private readonly dataSource: DataSource) {}

  async reserve(principalId: string, key: string, body: unknown, now: Date): Promise<Reservation> {
    if (!KEY_PATTERN.test(key)) {
      throw refuse.invalid('IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1 to 255 printable ASCII characters');
    }
    const hash = bodyHash(body);
    const horizon = new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000);
    // Forgotten keys go first, so an expired key is a fresh one.
    await this.dataSource.query('DELETE FROM idempotency_keys WHERE principal_id = $1 AND key = $2 AND created_at < $3', [principalId, key, horizon]);
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_keys (principal_id, key, request_id, body_hash, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [principalId, key, randomUUID(), hash, now],
    );
    const rows: { request_id: string; body_hash: string }[] = await this.dataSource.query(
      'SELECT request_id, body_hash FROM idempotency_keys WHERE principal_id = $1 AND key = $2',
      [principalId, key],
    );
    const row = rows[0];
    if (!row) throw refuse.conflict('IDEMPOTENCY_KEY_RACE', 'the idempotency key changed under a concurrent call; retry');
    if (row.body_hash !== hash) {
      throw refuse.unprocessable('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request body');
    }
    return { requestId: row.request_id, replay: inserted.length === 0 };
  }

  /** Removes keys past their time; called now and then, never needed for correctness. */
  async forgetExpired(now: Date): Promise<void> {
    await this.dataSource.query('DELETE FROM idempotency_keys WHERE created_at < $1', [new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000)]);
  }
}
