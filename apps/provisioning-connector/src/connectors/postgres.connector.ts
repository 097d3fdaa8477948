import { escapeIdentifier, Pool, type PoolClient } from 'pg';
import type { TargetState } from '../domain/job';
import { identityRoleName, targetRoleName } from '../domain/names';
import { redactUrl, type Connector, type ConnectorHealth, type GrantSpec } from './connector';

/**
 * Grants role membership in a target PostgreSQL. The identity is a login-less role named from the
 * subject id; the target role must already exist and must not be a superuser or otherwise
 * privileged role, so a catalogue entry can never hand out the keys to the database.
 */
export class PostgresConnector implements Connector {
  readonly name = 'postgres' as const;
  readonly configured = true;
  private readonly pool: Pool;

  constructor(url: string) {
    this.pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000 });
    // An idle client's error must not crash the process; the next call reports it.
    this.pool.on('error', () => undefined);
  }

  async grant(spec: GrantSpec): Promise<void> {
    const target = targetRoleName(spec.target);
    const member = identityRoleName(spec.subject.id);
    await this.withClient(async (client) => {
      await this.assertGrantable(client, target);
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [member]);
      if (exists.rowCount === 0) {
        try {
          await client.query(`CREATE ROLE ${escapeIdentifier(member)} NOLOGIN`);
        } catch (error) {
          if ((error as { code?: string }).code !== '42710') throw error; // created concurrently
        }
      }
      await client.query(`GRANT ${escapeIdentifier(target)} TO ${escapeIdentifier(member)}`);
    });
  }

  async revoke(spec: GrantSpec): Promise<void> {
    const target = targetRoleName(spec.target);
    const member = identityRoleName(spec.subject.id);
    await this.withClient(async (client) => {
      const roles = await client.query('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [[target, member]]);
      if (roles.rowCount !== 2) return; // no identity role or no target role: nothing to remove
      await client.query(`REVOKE ${escapeIdentifier(target)} FROM ${escapeIdentifier(member)}`);
    });
  }

  async verify(spec: GrantSpec): Promise<TargetState> {
    const target = targetRoleName(spec.target);
    const member = identityRoleName(spec.subject.id);
    const result = await this.pool.query(
      `SELECT 1 FROM pg_auth_members m
         JOIN pg_roles granted ON granted.oid = m.roleid
         JOIN pg_roles holder ON holder.oid = m.member
        WHERE granted.rolname = $1 AND holder.rolname = $2`,
      [target, member],
    );
    return (result.rowCount ?? 0) > 0 ? 'present' : 'absent';
  }

  async health(): Promise<ConnectorHealth> {
    try {
      await this.pool.query('SELECT 1');
      return { healthy: true };
    } catch (error) {
      return { healthy: false, reason: `target PostgreSQL unreachable: ${safeMessage(error)}` };
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async assertGrantable(client: PoolClient, target: string): Promise<void> {
    const result = await client.query<{ privileged: boolean }>(
      'SELECT (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls) AS privileged FROM pg_roles WHERE rolname = $1',
      [target],
    );
    const row = result.rows[0];
    if (!row) throw new Error(`target role ${target} does not exist in the target database`);
    if (row.privileged)
      throw new Error(
        `target role ${target} is privileged (superuser, createrole, createdb, replication or bypassrls) and is never granted`,
      );
  }

  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }
}

// pg's messages never carry the password, but a URL-shaped string in any message is cut to be sure.
export function safeMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s]+/gi, (url) => redactUrl(url));
}
