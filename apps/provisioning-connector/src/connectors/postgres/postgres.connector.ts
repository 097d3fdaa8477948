import { escapeIdentifier, Pool, type PoolClient } from 'pg';
import { safeErrorMessage } from '@kairos/observability';
import type { TargetState } from '../domain/job';
import { identityRoleName, targetRoleName, UnsafeNameError } from '../domain/names';
import { GrantRefusedError, type Connector, type ConnectorHealth, type GrantSpec } from './connector';

/**
 * Built-in roles that reach the server itself (files, programs, every table, other sessions…).
 * Any role whose memberships lead to one of them, or to a role with a privileged attribute, is
 * never granted.
 */
export const PRIVILEGED_BUILTIN_ROLES = [
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_execute_server_program',
  'pg_monitor',
  'pg_read_all_settings',
  'pg_read_all_stats',
  'pg_stat_scan_tables',
  'pg_read_all_data',
  'pg_write_all_data',
  'pg_signal_backend',
  'pg_checkpoint',
  'pg_create_subscription',
  'pg_use_reserved_connections',
  'pg_maintain',
  'pg_signal_autovacuum_worker',
] as const;

interface PrivilegeFinding {
  readonly path: string[];
  readonly why: string;
}

/**
 * Grants role membership in a target PostgreSQL. The identity is a login-less role named from the
 * subject id; the target role must already exist and must not reach, through any chain of
 * memberships, a superuser or otherwise privileged role, so a catalogue entry can never hand out
 * the keys to the database.
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
    const target = safeTargetRole(spec.accessRole);
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
    const target = targetRoleName(spec.accessRole);
    const member = identityRoleName(spec.subject.id);
    await this.withClient(async (client) => {
      const roles = await client.query('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [[target, member]]);
      if (roles.rowCount !== 2) return; // no identity role or no target role: nothing to remove
      await client.query(`REVOKE ${escapeIdentifier(target)} FROM ${escapeIdentifier(member)}`);
    });
  }

  /** Exactly this access: the identity's role is a direct member of the target role. */
  async verify(spec: GrantSpec): Promise<TargetState> {
    const target = targetRoleName(spec.accessRole);
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

  /** The first privileged role the target reaches through its memberships (itself included), if any. */
  async privilegeReached(target: string): Promise<PrivilegeFinding | undefined> {
    return this.withClient((client) => findPrivilege(client, target));
  }

  private async assertGrantable(client: PoolClient, target: string): Promise<void> {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [target]);
    if (exists.rowCount === 0) throw new Error(`target role ${target} does not exist in the target database`);
    const finding = await findPrivilege(client, target);
    if (finding) {
      const reached = finding.path[finding.path.length - 1];
      const chain = finding.path.length > 1 ? ` through ${finding.path.join(' → ')}` : '';
      throw new GrantRefusedError(
        `target role ${target} is never granted: it reaches privileged role ${reached} (${finding.why})${chain}`,
      );
    }
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

/**
 * Walks every role the target is a member of, transitively (a member inherits or can SET ROLE to
 * all of them), and reports the shortest path to one that is privileged: a privileged attribute
 * (superuser, createrole, createdb, replication, bypassrls) or a built-in server role.
 */
async function findPrivilege(client: PoolClient, target: string): Promise<PrivilegeFinding | undefined> {
  const result = await client.query<{ path: string[]; rolname: string; why: string | null }>(
    `WITH RECURSIVE reach(oid, path) AS (
        SELECT r.oid, ARRAY[r.rolname::text] FROM pg_roles r WHERE r.rolname = $1
        UNION
        SELECT m.roleid, reach.path || g.rolname::text
          FROM reach
          JOIN pg_auth_members m ON m.member = reach.oid
          JOIN pg_roles g ON g.oid = m.roleid
         WHERE NOT g.rolname = ANY(reach.path) AND cardinality(reach.path) < 32
      )
      SELECT reach.path, r.rolname,
             concat_ws(', ',
               CASE WHEN r.rolsuper THEN 'superuser' END,
               CASE WHEN r.rolcreaterole THEN 'createrole' END,
               CASE WHEN r.rolcreatedb THEN 'createdb' END,
               CASE WHEN r.rolreplication THEN 'replication' END,
               CASE WHEN r.rolbypassrls THEN 'bypassrls' END,
               CASE WHEN r.rolname = ANY($2) OR r.rolname LIKE 'pg\\_%' THEN 'built-in server role' END) AS why
        FROM reach JOIN pg_roles r ON r.oid = reach.oid
       ORDER BY cardinality(reach.path)`,
    [target, [...PRIVILEGED_BUILTIN_ROLES]],
  );
  const hit = result.rows.find((row) => row.why);
  return hit ? { path: hit.path, why: hit.why! } : undefined;
}

/** An unsafe name is refused for good, like a privileged role: retrying cannot make it safe. */
function safeTargetRole(name: string): string {
  try {
    return targetRoleName(name);
  } catch (error) {
    if (error instanceof UnsafeNameError) throw new GrantRefusedError(error.message);
    throw error;
  }
}

/** Scrubbed message of a connector error (see @kairos/observability redactSecrets). */
export function safeMessage(error: unknown): string {
  return safeErrorMessage(error);
}
