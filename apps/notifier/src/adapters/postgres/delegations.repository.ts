import type { DataSource, EntityManager } from 'typeorm';
import type { Delegation } from '../../domain/delegation';
import type { DelegationStore } from '../../use-cases/delegate/delegate';

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

/** The delegations table, as people manage their delegations. */
export class PgDelegations implements DelegationStore {
  constructor(private readonly dataSource: DataSource) {}

  async create(d: { delegationId: string; delegatorId: string; delegateId: string; startsAt: Date; endsAt: Date; createdAt: Date }): Promise<Delegation> {
    const rows: Row[] = await this.dataSource.query(
      `INSERT INTO delegations (delegation_id, delegator_id, delegate_id, starts_at, ends_at, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [d.delegationId, d.delegatorId, d.delegateId, d.startsAt, d.endsAt, d.createdAt],
    );
    return toDelegation(rows[0]!);
  }

  async all(): Promise<Delegation[]> {
    const rows: Row[] = await this.dataSource.query('SELECT * FROM delegations ORDER BY created_at DESC LIMIT 500');
    return rows.map(toDelegation);
  }

  async involving(personId: string): Promise<Delegation[]> {
    const rows: Row[] = await this.dataSource.query('SELECT * FROM delegations WHERE delegator_id = $1 OR delegate_id = $1 ORDER BY created_at DESC LIMIT 500', [personId]);
    return rows.map(toDelegation);
  }

  async delegatorOf(delegationId: string): Promise<string | undefined> {
    const rows: { delegator_id: string }[] = await this.dataSource.query('SELECT delegator_id FROM delegations WHERE delegation_id::text = $1', [delegationId]);
    return rows[0]?.delegator_id;
  }

  async revoke(delegationId: string, at: Date): Promise<void> {
    await this.dataSource.query('UPDATE delegations SET revoked_at = $2 WHERE delegation_id = $1 AND revoked_at IS NULL', [delegationId, at]);
  }
}
