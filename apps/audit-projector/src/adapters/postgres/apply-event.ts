import type { AccessRequestEvent } from '@kairos/contracts';
import type { Queryable } from '@kairos/event-store';
import { sanitizeForPostgres } from '@kairos/persistence';
import { readModelChanges, type ReadModel, type ReadModelChange } from '../../domain/read-model-changes';
import type { AuditTables } from './audit-schema';

export type ColumnType = 'text' | 'boolean' | 'integer' | 'timestamptz' | 'jsonb';

export interface ReadModelSpec {
  /** Primary key columns, in order. */
  readonly key: readonly string[];
  /** Every column with its type and whether it accepts null (must match `AuditTables.ddl()`). */
  readonly columns: Readonly<Record<string, { readonly type: ColumnType; readonly nullable: boolean }>>;
}

const col = (type: ColumnType, nullable = false) => ({ type, nullable });

/** The read-model tables as the projection code sees them: used to validate and write changes in bulk. */
export const READ_MODELS: Readonly<Record<ReadModel, ReadModelSpec>> = {
  requests: {
    key: ['request_id'],
    columns: {
      request_id: col('text'),
      requester_id: col('text'),
      requester_kind: col('text'),
      requester_groups: col('jsonb', true),
      requested_by: col('text'),
      on_behalf: col('boolean'),
      justification: col('text'),
      ticket: col('text', true),
      break_glass: col('boolean'),
      duration: col('text'),
      requested_at: col('timestamptz'),
    },
  },
  items: {
    key: ['request_id', 'item_id'],
    columns: {
      request_id: col('text'),
      item_id: col('text'),
      resource_id: col('text'),
      role: col('text'),
      tier: col('integer', true),
      policy_mode: col('text', true),
      status: col('text'),
      approved_via: col('text', true),
      reused_from: col('text', true),
      approved_at: col('timestamptz', true),
      approval_expires_at: col('timestamptz', true),
      denied_by: col('text', true),
      denial_reason: col('text', true),
      break_glass_ratify_by: col('timestamptz', true),
      break_glass_ratified_by: col('text', true),
      closed_at: col('timestamptz', true),
    },
  },
  reviews: {
    key: ['request_id', 'review_id'],
    columns: {
      request_id: col('text'),
      review_id: col('text'),
      item_id: col('text'),
      reviewer_id: col('text'),
      decision: col('text'),
      subject: col('text'),
      step: col('integer'),
      step_name: col('text'),
      comment: col('text', true),
      recorded_at: col('timestamptz'),
    },
  },
  grants: {
    key: ['grant_id'],
    columns: {
      grant_id: col('text'),
      request_id: col('text'),
      item_id: col('text'),
      subject_id: col('text'),
      subject_kind: col('text'),
      resource_id: col('text'),
      role: col('text'),
      break_glass: col('boolean'),
      grant_verified: col('boolean'),
      grant_attested_by: col('text', true),
      granted_at: col('timestamptz'),
      expires_at: col('timestamptz'),
      expired_at: col('timestamptz', true),
      revocation_requested_at: col('timestamptz', true),
      revocation_reason: col('text', true),
      revoked_at: col('timestamptz', true),
      revocation_retained_by: col('text', true),
      revocation_attested_by: col('text', true),
      revocation_verified: col('boolean', true),
    },
  },
};

/**
 * The changes as PostgreSQL can store them: text it refuses (NUL, lone surrogates) escaped visibly
 * and reversibly (see `escapeTextForPostgres`); the event store keeps the original. Live and replay
 * both write these.
 */
export function storableChanges(event: AccessRequestEvent): ReadModelChange[] {
  return readModelChanges(sanitizeForPostgres(event));
}

/** Changes the read models for one valid event. Runs inside the projector's transaction. */
export async function applyEvent(tx: Queryable, t: AuditTables, event: AccessRequestEvent): Promise<void> {
  for (const change of storableChanges(event)) await applyChange(tx, t, change);
}

async function applyChange(tx: Queryable, t: AuditTables, change: ReadModelChange): Promise<void> {
  const table = t[change.table];
  if (change.kind === 'insert') {
    const columns = Object.keys(change.row);
    await tx.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (${READ_MODELS[change.table].key.join(', ')}) DO NOTHING`,
      columns.map((c) => change.row[c]),
    );
    return;
  }
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const set = Object.entries(change.set).map(([c, v]) => `${c} = ${param(v)}`);
  const where = [...Object.entries(change.key), ...Object.entries(change.when ?? {})].map(([c, v]) => `${c} = ${param(v)}`);
  await tx.query(`UPDATE ${table} SET ${set.join(', ')} WHERE ${where.join(' AND ')}`, params);
}
