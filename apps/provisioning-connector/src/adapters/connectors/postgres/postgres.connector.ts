import { safeErrorMessage } from '@kairos/observability';
import { escapeIdentifier, escapeLiteral, Pool, type PoolClient } from 'pg';
import { addDuration } from '@kairos/access-request-domain';
import type { Clock } from '@kairos/clock';
import type { TargetState } from '../../../domain/job';
import { loginOf, NoLoginError, type LoginDirectory } from '../../../domain/logins';
import { identityRoleName, targetRoleName, UnsafeNameError } from '../../../domain/names';
import { GrantRefusedError, type Connector, type ConnectorHealth, type GrantAnswer, type GrantSpec } from '../../../domain/connector';
import { credentialLoginName, generatePassword, passwordFingerprint, scramVerifier } from './credentials';
import { parsePostgresTarget, type PostgresTarget } from './target';

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

export interface PostgresConnectorOptions {
  /** Identity → own login, for `mode=login` resources. */
  readonly logins?: LoginDirectory;
  readonly clock?: Clock;
  /** `statement_timeout` of the connector's sessions: no statement runs longer (0 = none). */
  readonly statementTimeoutMs?: number;
  /** `lock_timeout` of the connector's sessions: no lock is waited for longer (0 = none). */
  readonly lockTimeoutMs?: number;
  /** Most sessions at once (at least the worker's concurrency, so a stuck role never starves the pool). */
  readonly maxSessions?: number;
}

/**
 * Grants a catalogue role in a target PostgreSQL, three ways chosen per resource (see target.ts):
 * to a login-less identity role, to the person's own login, or to a short-lived LOGIN role with a
 * generated password. The target role must already exist and must not reach, through any chain of
 * memberships, a superuser or otherwise privileged role, so a catalogue entry can never hand out
 * the keys to the database.
 */
export class PostgresConnector implements Connector {
  readonly name = 'postgres' as const;
  readonly configured = true;
  private readonly pool: Pool;
  private readonly logins: LoginDirectory;
  private readonly clock: Clock;
  private readonly connection: Record<string, string | number>;

  constructor(url: string, options: PostgresConnectorOptions = {}) {
    // A role locked in the target (an open transaction that ALTERed it…) must not hold a call, and
    // with it a job lease and a pooled session, forever: the server cancels the statement.
    this.pool = new Pool({
      connectionString: url,
      max: options.maxSessions ?? 10,
      connectionTimeoutMillis: 5_000,
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
      ...(options.lockTimeoutMs ? { lock_timeout: options.lockTimeoutMs } : {}),
    });
    // An idle client's error must not crash the process; the next call reports it.
    this.pool.on('error', () => undefined);
    this.logins = options.logins ?? { map: [], rule: '' };
    this.clock = options.clock ?? { now: () => new Date() };
    this.connection = connectionOf(url);
  }

  async grant(spec: GrantSpec): Promise<GrantAnswer> {
    const target = refusedIfUnsafe(() => parsePostgresTarget(spec.target));
    switch (target.mode) {
      case 'role':
        return this.grantToRole(target, identityRoleName(spec.subject.id), true);
      case 'login':
        return this.grantToRole(target, this.loginOf(spec), false);
      case 'credentials':
        return this.issueCredentials(target, spec);
      default: {
        const exhaustive: never = target.mode;
        return exhaustive;
      }
    }
  }

  async revoke(spec: GrantSpec): Promise<void> {
    const target = parsePostgresTarget(spec.target);
    if (target.mode === 'credentials') return this.dropCredentials(credentialLoginName(spec.subject.id, spec.grantId));
    const member = target.mode === 'login' ? this.loginOf(spec) : identityRoleName(spec.subject.id);
    await this.withClient(async (client) => {
      const roles = await client.query('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [[target.role, member]]);
      if (roles.rowCount !== 2) return; // no member or no target role: nothing to remove
      await client.query(`REVOKE ${escapeIdentifier(target.role)} FROM ${escapeIdentifier(member)}`);
    });
  }

  /**
   * Exactly this access: the member (identity role, own login, or this grant's login) is a direct
   * member of the target role; for credentials, the login also exists, can log in and has not
   * expired — and after a revocation it must be gone altogether.
   */
  async verify(spec: GrantSpec): Promise<TargetState> {
    const target = parsePostgresTarget(spec.target);
    if (target.mode === 'credentials') {
      const login = credentialLoginName(spec.subject.id, spec.grantId);
      const result = await this.pool.query<{ usable: boolean }>(
        `SELECT r.rolcanlogin AND (r.rolvaliduntil IS NULL OR r.rolvaliduntil > now())
                AND EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                             WHERE m.member = r.oid AND g.rolname = $2) AS usable
           FROM pg_roles r WHERE r.rolname = $1`,
        [login, target.role],
      );
      const row = result.rows[0];
      if (!row) return 'absent';
      if (spec.action === 'revoke') return 'present'; // the login still exists: not ended
      return row.usable ? 'present' : 'absent';
    }
    const member = target.mode === 'login' ? this.loginOf(spec) : identityRoleName(spec.subject.id);
    const result = await this.pool.query(
      `SELECT 1 FROM pg_auth_members m
         JOIN pg_roles granted ON granted.oid = m.roleid
         JOIN pg_roles holder ON holder.oid = m.member
        WHERE granted.rolname = $1 AND holder.rolname = $2`,
      [target.role, member],
    );
    return (result.rowCount ?? 0) > 0 ? 'present' : 'absent';
  }

  async health(): Promise<ConnectorHealth> {
    try {
      await this.pool.query('SELECT 1');
      return { healthy: true };
    } catch (error) {
      return { healthy: false, reason: `target PostgreSQL unreachable: ${safeErrorMessage(error)}` };
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** The first privileged role the target reaches through its memberships (itself included), if any. */
  async privilegeReached(target: string): Promise<PrivilegeFinding | undefined> {
    return this.withClient((client) => findPrivilege(client, target));
  }

  private loginOf(spec: GrantSpec): string {
    return refusedIfUnsafe(() => targetRoleName(loginOf(spec.subject.id, this.logins, 'PostgreSQL')));
  }

  private async grantToRole(target: PostgresTarget, member: string, createIfMissing: boolean): Promise<void> {
    await this.withClient(async (client) => {
      await this.assertGrantable(client, target.role);
      const exists = await client.query<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [member]);
      if (exists.rowCount === 0) {
        // A person's own login is never made up: granting to a login nobody uses helps nobody.
        if (!createIfMissing) throw new GrantRefusedError(`login ${member} does not exist in the target database`);
        try {
          await client.query(`CREATE ROLE ${escapeIdentifier(member)} NOLOGIN`);
        } catch (error) {
          if ((error as { code?: string }).code !== '42710') throw error; // created concurrently
        }
      } else if (!createIfMissing && !exists.rows[0]!.rolcanlogin) {
        throw new GrantRefusedError(`role ${member} exists in the target database but cannot log in`);
      }
      await client.query(`GRANT ${escapeIdentifier(target.role)} TO ${escapeIdentifier(member)}`);
    });
  }

  /**
   * A LOGIN role for this grant only, valid until the access expires (the database ends it even if
   * Kairos is down then), holding the catalogue role. The password is sent as a SCRAM verifier: the
   * plaintext exists only in this process and, sealed, in the credentials store until fetched. A
   * retry sets a new password (the earlier one was never handed out).
   */
  private async issueCredentials(target: PostgresTarget, spec: GrantSpec): Promise<GrantAnswer> {
    const login = credentialLoginName(spec.subject.id, spec.grantId);
    const validUntil = this.validUntil(spec);
    const password = generatePassword();
    const attributes = `LOGIN INHERIT PASSWORD ${escapeLiteral(scramVerifier(password))} VALID UNTIL ${escapeLiteral(validUntil)}`;
    await this.withClient(async (client) => {
      await this.assertGrantable(client, target.role);
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [login]);
      if (exists.rowCount === 0) await client.query(`CREATE ROLE ${escapeIdentifier(login)} ${attributes}`);
      else await client.query(`ALTER ROLE ${escapeIdentifier(login)} ${attributes}`);
      await client.query(`GRANT ${escapeIdentifier(target.role)} TO ${escapeIdentifier(login)}`);
    });
    return {
      answer: `login ${login} (password ${passwordFingerprint(password)}) valid until ${validUntil}`,
      credentials: { login, password, validUntil, connection: this.connection },
    };
  }

  /** Ends a grant's login: no new sessions, the open ones terminated, the role dropped. */
  private async dropCredentials(login: string): Promise<void> {
    await this.withClient(async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [login]);
      if (exists.rowCount === 0) return;
      await client.query(`ALTER ROLE ${escapeIdentifier(login)} NOLOGIN`);
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [login]);
      await client.query(`DROP OWNED BY ${escapeIdentifier(login)}`);
      await client.query(`DROP ROLE ${escapeIdentifier(login)}`);
    });
  }

  private validUntil(spec: GrantSpec): string {
    if (spec.expiresAt) return spec.expiresAt;
    if (!spec.duration) throw new GrantRefusedError('short-lived credentials need the access duration');
    return addDuration(this.clock.now().toISOString(), spec.duration);
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

/** An unsafe name or a person without a login is refused for good: retrying cannot fix it. */
function refusedIfUnsafe<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof UnsafeNameError || error instanceof NoLoginError) throw new GrantRefusedError(error.message);
    throw error;
  }
}

/** Where the target is, without its credentials: handed to the requester with short-lived credentials. */
function connectionOf(url: string): Record<string, string | number> {
  try {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: Number(parsed.port || 5432), database: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres' };
  } catch {
    return {};
  }
}
