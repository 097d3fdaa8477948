import type { EntityManager } from 'typeorm';

export interface Delegation {
  readonly delegationId: string;
  readonly delegatorId: string;
  readonly delegateId: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

interface Row {
  delegation_id: string;
  delegator_id: string;
  delegate_id: string;
  starts_at: Date;
  ends_at: Date;
  created_at: Date;
  revoked_at: Date | null;
}

export const toDelegation = (row: Row): Delegation => ({
  delegationId: row.delegation_id,
  delegatorId: row.delegator_id,
  delegateId: row.delegate_id,
  startsAt: new Date(row.starts_at).toISOString(),
  endsAt: new Date(row.ends_at).toISOString(),
  createdAt: new Date(row.created_at).toISOString(),
  ...(row.revoked_at ? { revokedAt: new Date(row.revoked_at).toISOString() } : {}),
});

/** The delegations in force at `now` of these approvers (one per approver: the latest made). */
export async function activeDelegations(tx: EntityManager, approvers: readonly string[], now: Date): Promise<Delegation[]> {
  if (approvers.length === 0) return [];
  const rows: Row[] = await tx.query(
    `SELECT DISTINCT ON (delegator_id) * FROM delegations
     WHERE delegator_id = ANY($1) AND revoked_at IS NULL AND starts_at <= $2 AND ends_at > $2
     ORDER BY delegator_id, created_at DESC`,
    [[...approvers], now],
  );
  return rows.map(toDelegation);
}
