import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { idempotencyHorizon } from '../../domain/idempotency-key';
import type { IdempotencyKeyStore, KeyBinding } from '../../use-cases/submit-request/ports';

/**
 * `Idempotency-Key`s of submissions in PostgreSQL, per caller, so one person's key never touches
 * another's request. The submission use case binds the key to a request id here BEFORE it appends
 * the request to its stream, and refuses the same key with another body.
 */
@Injectable()
export class IdempotencyKeys implements IdempotencyKeyStore {
  constructor(private readonly dataSource: DataSource) {}

  async reserve(binding: KeyBinding): Promise<{ requestId: string; bodyHash: string; replay: boolean } | undefined> {
    const { principalId, key } = binding;
    // Forgotten keys go first, so an expired key is a fresh one.
    await this.dataSource.query('DELETE FROM idempotency_keys WHERE principal_id = $1 AND key = $2 AND created_at < $3', [principalId, key, binding.forgetBefore]);
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_keys (principal_id, key, request_id, body_hash, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [principalId, key, binding.requestId, binding.bodyHash, binding.now],
    );
    const rows: { request_id: string; body_hash: string }[] = await this.dataSource.query(
      'SELECT request_id, body_hash FROM idempotency_keys WHERE principal_id = $1 AND key = $2',
      [principalId, key],
    );
    const row = rows[0];
    return row ? { requestId: row.request_id, bodyHash: row.body_hash, replay: inserted.length === 0 } : undefined;
  }

  /** Removes keys past their time; called now and then, never needed for correctness. */
  async forgetExpired(now: Date): Promise<void> {
    await this.dataSource.query('DELETE FROM idempotency_keys WHERE created_at < $1', [idempotencyHorizon(now)]);
  }
}
