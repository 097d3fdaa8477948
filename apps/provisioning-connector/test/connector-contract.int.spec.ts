import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as PgClient } from 'pg';
import { Client as LdapClient, EqualityFilter } from 'ldapts';
import { loadConfig } from '@kairos/config';
import { CONNECTOR_NAMES } from '@kairos/contracts';
import { createTestDatabase, type TestDatabase } from '@kairos/testing';
import { config } from '../src/config';
import { GrantRefusedError, type Connector, type GrantSpec } from '../src/domain/connector';
import { CONNECTOR_PLUGINS, pluginOf } from '../src/adapters/connectors/registry';
import { credentialLoginName } from '../src/adapters/connectors/postgres/credentials';
import { PostgresConnector } from '../src/adapters/connectors/postgres/postgres.connector';
import { WebhookConnector } from '../src/adapters/connectors/webhook/webhook.connector';
import { LdapConnector } from '../src/adapters/connectors/ldap/ldap.connector';
import { GithubConnector } from '../src/adapters/connectors/github/github.connector';
import { systemClock } from '@kairos/clock';
import { identityRoleName } from '../src/domain/names';
import { verifySignature } from '../src/domain/signature';
import { sql, unique } from './fixtures';
import { startSlapd, type Slapd } from './support/slapd';
import { startGithubStandIn, type GithubStandIn } from './support/github-standin';

/**
 * One contract, every connector: grant → verify → revoke → verify, idempotency, health (and a
 * failing target seen as unhealthy, without its secret), and refusing bad settings and targets.
 * Each case also checks the target itself, independently of the connector's own verify().
 */
interface ContractCase {
  readonly name: string;
  readonly connector: () => Connector;
  /** A fresh access to grant (one identity, one role, one target). */
  readonly access: () => Promise<GrantSpec>;
  /** Asks the target directly, not through the connector. */
  readonly holds: (spec: GrantSpec) => Promise<boolean>;
  /** The same connector pointed at a target that does not answer, and a secret that must not leak. */
  readonly broken: () => { connector: Connector; secret: string };
  /** Environment the plug-in's settings refuse. */
  readonly badSettings: Record<string, string>;
  readonly badTarget: string;
}

const baseEnv = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db',
  KAFKA_BROKERS: '127.0.0.1:1',
  EVENTSTORE_URL: 'esdb://127.0.0.1:1?tls=false',
  TARGET_POSTGRES_URL: 'postgres://u:p@127.0.0.1:1/target',
  AUTH_ISSUER: 'http://127.0.0.1:1',
  AUTH_AUDIENCE: 'kairos',
  AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks',
};

function spec(args: { subjectId: string; target: string; role?: string; connector: string; duration?: string }): GrantSpec {
  const grantId = `${randomUUID()}:i1:1`;
  const role = args.role ?? 'reader';
  return {
    action: 'grant',
    requestId: randomUUID(),
    itemId: 'i1',
    grantId,
    subject: { id: args.subjectId, kind: 'person' },
    target: args.target,
    resourceId: 'res',
    role,
    accessRole: pluginOf(args.connector as never).accessRole({ target: args.target, role, grantId }),
    duration: args.duration ?? 'PT1H',
    justification: 'contract test',
  };
}

const asRevoke = (s: GrantSpec): GrantSpec => ({ ...s, action: 'revoke' });

async function pgHolds(url: string, role: string, member: string): Promise<boolean> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query(
      `SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = $1 AND u.rolname = $2`,
      [role, member],
    );
    return (r.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

describe('the connector contract, run against every connector', () => {
  let target: TestDatabase;
  let slapd: Slapd;
  let github: GithubStandIn;
  let hook: Server;
  let hookUrl: string;
  const hookHeld = new Set<string>();
  const hookSecret = randomBytes(16).toString('hex');
  const role = unique('app_reader');
  const ownLogins: string[] = [];
  const connectors: Connector[] = [];
  const keep = <C extends Connector>(c: C): C => (connectors.push(c), c);
  let ldapGroup: string;

  beforeAll(async () => {
    [target, slapd, github] = await Promise.all([createTestDatabase('contract'), startSlapd(), startGithubStandIn(randomBytes(8).toString('hex'))]);
    await sql(target.url, `CREATE ROLE ${role} NOLOGIN`);
    ldapGroup = await slapd.addGroup('orders-admins');
    github.teams.set('acme/orders', new Map());
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const signed = verifySignature(
          hookSecret,
          { signature: req.headers['x-kairos-signature'] as string, timestamp: req.headers['x-kairos-timestamp'] as string },
          body,
          Math.floor(Date.now() / 1000),
        );
        if (!signed) return void res.writeHead(401).end();
        const call = JSON.parse(body) as { action: string; subject?: { id: string }; role?: string; target?: string };
        const key = `${call.subject?.id}|${call.role}|${call.target}`;
        if (call.action === 'grant') hookHeld.add(key);
        if (call.action === 'revoke') hookHeld.delete(key);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ state: hookHeld.has(key) ? 'present' : 'absent' }));
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/kairos`;
  });

  afterAll(async () => {
    await Promise.all(connectors.map((c) => c.close()));
    await new Promise((r) => hook?.close(r));
    await Promise.all([slapd?.stop(), github?.close(), target?.drop()]);
    const logins = ownLogins.map((l) => `DROP ROLE IF EXISTS ${l};`).join(' ');
    await sql(process.env.KAIROS_TEST_PG_URL!, `${logins} DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  });

  const ldapSettings = () => ({
    url: slapd.url,
    bindDn: slapd.rootDn,
    bindPassword: slapd.rootPassword,
    userDnTemplate: `uid={login},ou=people,${slapd.suffix}`,
    logins: { map: [], rule: '{local}' },
    memberAttribute: 'member',
    timeoutMs: 3_000,
  });

  const cases: ContractCase[] = [
    {
      name: 'postgres (identity role)',
      connector: () => keep(new PostgresConnector(target.url)),
      access: async () => spec({ subjectId: `svc:${randomUUID()}`, target: role, connector: 'postgres' }),
      holds: (s) => pgHolds(target.url, role, identityRoleName(s.subject.id)),
      broken: () => ({ connector: keep(new PostgresConnector('postgres://kairos:pg-secret-1@127.0.0.1:1/x')), secret: 'pg-secret-1' }),
      badSettings: { POSTGRES_LOGIN_MAP: 'alice' },
      badTarget: `${role}?mode=root`,
    },
    {
      name: 'postgres (own login)',
      connector: () => keep(new PostgresConnector(target.url, { logins: { map: [], rule: '{local}' } })),
      access: async () => {
        const login = unique('person');
        ownLogins.push(login);
        await sql(target.url, `CREATE ROLE ${login} LOGIN`);
        return spec({ subjectId: `${login}@example.com`, target: `${role}?mode=login`, connector: 'postgres' });
      },
      holds: (s) => pgHolds(target.url, role, s.subject.id.split('@')[0]!),
      broken: () => ({ connector: keep(new PostgresConnector('postgres://kairos:pg-secret-2@127.0.0.1:1/x')), secret: 'pg-secret-2' }),
      badSettings: { POSTGRES_LOGIN_MAP: 'alice=a=b' },
      badTarget: `${role}?mode=login&x=1`,
    },
    {
      name: 'postgres (short-lived credentials)',
      connector: () => keep(new PostgresConnector(target.url)),
      access: async () => spec({ subjectId: `${unique('carol')}@example.com`, target: `${role}?mode=credentials`, connector: 'postgres' }),
      holds: (s) => pgHolds(target.url, role, credentialLoginName(s.subject.id, s.grantId)),
      broken: () => ({ connector: keep(new PostgresConnector('postgres://kairos:pg-secret-3@127.0.0.1:1/x')), secret: 'pg-secret-3' }),
      badSettings: { TARGET_POSTGRES_URL: 'mysql://x' },
      badTarget: 'pg_read_server_files?mode=credentials',
    },
    {
      name: 'webhook',
      connector: () => keep(new WebhookConnector({ url: hookUrl, secret: hookSecret, timeoutMs: 3_000 }, systemClock)),
      access: async () => spec({ subjectId: unique('dave'), target: 'crm', role: 'admin', connector: 'webhook' }),
      holds: async (s) => hookHeld.has(`${s.subject.id}|${s.role}|${s.target}`),
      broken: () => ({
        connector: keep(new WebhookConnector({ url: 'http://hook-user:hook-secret-4@127.0.0.1:1/x', secret: hookSecret, timeoutMs: 1_000 }, systemClock)),
        secret: 'hook-secret-4',
      }),
      badSettings: { WEBHOOK_TIMEOUT_MS: '5' },
      badTarget: 'crm\u0000',
    },
    {
      name: 'ldap (real slapd)',
      connector: () => keep(new LdapConnector(ldapSettings())),
      access: async () => {
        const login = unique('erin');
        await slapd.addPerson(login);
        return spec({ subjectId: `${login}@example.com`, target: ldapGroup, connector: 'ldap' });
      },
      holds: async (s) => {
        const client = new LdapClient({ url: slapd.url });
        try {
          await client.bind(slapd.rootDn, slapd.rootPassword);
          const member = `uid=${s.subject.id.split('@')[0]},ou=people,${slapd.suffix}`;
          const { searchEntries } = await client.search(ldapGroup, { scope: 'base', filter: new EqualityFilter({ attribute: 'member', value: member }) });
          return searchEntries.length > 0;
        } finally {
          await client.unbind();
        }
      },
      broken: () => ({ connector: keep(new LdapConnector({ ...ldapSettings(), url: 'ldap://127.0.0.1:1', bindPassword: 'ldap-secret-5' })), secret: 'ldap-secret-5' }),
      badSettings: { LDAP_URL: 'http://directory', LDAP_USER_DN_TEMPLATE: 'uid=alice' },
      badTarget: 'orders-admins',
    },
    {
      name: 'github (local stand-in of the GitHub REST API)',
      connector: () => keep(new GithubConnector({ token: github.token, apiUrl: github.url, logins: { map: [], rule: '{local}' }, timeoutMs: 3_000 })),
      access: async () => {
        const login = unique('frank').replace(/_/g, '-');
        github.users.add(login);
        github.orgMembers.add(login);
        return spec({ subjectId: `${login}@example.com`, target: 'acme/orders', connector: 'github' });
      },
      holds: async (s) => github.teams.get('acme/orders')!.get(s.subject.id.split('@')[0]!)?.state === 'active',
      broken: () => ({
        connector: keep(new GithubConnector({ token: 'gh-secret-6', apiUrl: 'http://127.0.0.1:1', logins: { map: [], rule: '{local}' }, timeoutMs: 1_000 })),
        secret: 'gh-secret-6',
      }),
      badSettings: { GITHUB_API_URL: 'ftp://github', GITHUB_LOGIN_MAP: 'nobody' },
      badTarget: 'acme',
    },
  ];

  it('covers every automated connector of the one list', () => {
    const covered = new Set(cases.map((c) => c.name.split(' ')[0]));
    const automated = CONNECTOR_PLUGINS.filter((p) => p.create).map((p) => p.name);
    expect(automated.filter((name) => !covered.has(name))).toEqual([]);
    expect(CONNECTOR_PLUGINS.map((p) => p.name)).toEqual([...CONNECTOR_NAMES]);
  });

  describe.each(cases)('$name', (c) => {
    it('grant → verify → revoke → verify, checked in the target itself', async () => {
      const connector = c.connector();
      const access = await c.access();
      expect(await connector.verify(access)).toBe('absent');
      await connector.grant(access);
      expect(await connector.verify(access)).toBe('present');
      expect(await c.holds(access)).toBe(true);
      await connector.revoke(asRevoke(access));
      expect(await connector.verify(asRevoke(access))).toBe('absent');
      expect(await c.holds(access)).toBe(false);
    });

    it('is idempotent: a repeated grant or revoke changes nothing and does not fail', async () => {
      const connector = c.connector();
      const access = await c.access();
      await connector.grant(access);
      await connector.grant(access);
      expect(await connector.verify(access)).toBe('present');
      await connector.revoke(asRevoke(access));
      await connector.revoke(asRevoke(access));
      expect(await connector.verify(asRevoke(access))).toBe('absent');
    });

    it('is healthy when its target answers, and unhealthy, without its secret, when it does not', async () => {
      expect(await c.connector().health()).toEqual({ healthy: true });
      const { connector, secret } = c.broken();
      const health = await connector.health();
      expect(health.healthy).toBe(false);
      expect(JSON.stringify(health)).not.toContain(secret);
      await expect(connector.verify(await c.access())).rejects.toThrow();
      await connector.verify(await c.access()).catch((error: Error) => expect(error.message).not.toContain(secret));
    });

    it('refuses bad settings at boot and a target it can never act on', async () => {
      const plugin = pluginOf(c.name.split(' ')[0] as never);
      const problems = (() => {
        try {
          const loaded = loadConfig(config, { ...baseEnv, ...c.badSettings });
          return plugin.checkSettings?.(loaded) ?? [];
        } catch (error) {
          return [(error as Error).message];
        }
      })();
      expect(problems.length).toBeGreaterThan(0);
      expect(plugin.targetProblem(c.badTarget)).toEqual(expect.any(String));
      const access = await c.access();
      await expect(c.connector().grant({ ...access, target: c.badTarget })).rejects.toBeInstanceOf(GrantRefusedError);
    });
  });

  describe('manual (people fulfil it: nothing to call)', () => {
    it('has no automated connector, accepts a free-text target and refuses an empty one', () => {
      const manual = pluginOf('manual');
      expect(manual.create).toBeUndefined();
      expect(manual.targetProblem('billing-console')).toBeUndefined();
      expect(manual.targetProblem('')).toEqual(expect.any(String));
      expect(manual.accessRole({ target: 'billing-console', role: 'viewer', grantId: 'g' })).toBe('viewer');
    });
  });
});
