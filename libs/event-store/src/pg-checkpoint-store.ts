import type { LogPosition } from './domain-event';

/** Anything that runs SQL: a `pg` Client or Pool, a TypeORM DataSource, EntityManager or QueryRunner. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Subscription positions kept in the consumer's own database, so a position is saved in the same
 * transaction as the rows the events changed: after a crash both or neither are there.
 */
export class PgCheckpointStore {
  private readonly table: string;

  constructor(
    private readonly db: Queryable,
    schema = 'public',
  ) {
    if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
    this.table = `"${schema}".event_store_checkpoints`;
  }

  /** DDL for migrations; `ensureTable` runs it directly. */
  createTableSql(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.table} (subscription_id text PRIMARY KEY, commit_position text NOT NULL, prepare_position text NOT NULL)`;
  }

  async ensureTable(): Promise<void> {
    await this.db.query(this.createTableSql());
  }

  async load(subscriptionId: string): Promise<LogPosition | null> {
    const rows = rowsOf(
      await this.db.query(`SELECT commit_position, prepare_position FROM ${this.table} WHERE subscription_id = $1`, [subscriptionId]),
    );
    const row = rows[0];
    if (!row) return null;
    return { commit: BigInt(String(row.commit_position)), prepare: BigInt(String(row.prepare_position)) };
  }

  /** Run it with the consumer's transaction (`tx`), not with the store's own connection. */
  async save(tx: Queryable, subscriptionId: string, position: LogPosition): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.table} (subscription_id, commit_position, prepare_position) VALUES ($1, $2, $3)
       ON CONFLICT (subscription_id) DO UPDATE SET commit_position = EXCLUDED.commit_position, prepare_position = EXCLUDED.prepare_position`,
      [subscriptionId, position.commit.toString(), position.prepare.toString()],
    );
  }
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  if (result && typeof result === 'object' && Array.isArray((result as { rows?: unknown }).rows)) {
    return (result as { rows: Record<string, unknown>[] }).rows;
  }
  return [];
}
