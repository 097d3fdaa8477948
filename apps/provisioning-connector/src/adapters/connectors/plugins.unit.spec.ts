import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { retainingGrants } from '../../domain/holders';
import { parsePostgresTarget, postgresTargetProblem } from './postgres/target';
import { credentialLoginName, passwordFingerprint, scramVerifier } from './postgres/credentials';
import { escapeDnValue, ldapTargetProblem } from './ldap/ldap.connector';
import { parseGithubTarget } from './github/github.connector';
import { CONNECTOR_PLUGINS } from './registry';
import { CONNECTOR_NAMES } from '@kairos/contracts';

const at = (s: number) => new Date(1_767_600_000_000 + s * 1000);

describe('reference counting of short-lived logins', () => {
  it('gives each short-lived login its own count: another grant of the same role never keeps it', () => {
    const postgres = CONNECTOR_PLUGINS.find((p) => p.name === 'postgres')!;
    const a = postgres.accessRole({ target: 'orders_readonly?mode=credentials', role: 'readonly', grantId: 'r1:i1:1' });
    const b = postgres.accessRole({ target: 'orders_readonly?mode=credentials', role: 'readonly', grantId: 'r2:i1:1' });
    expect(a).not.toEqual(b);
    expect(retainingGrants({ grantId: 'r1:i1:1', accessRole: a }, [{ grantId: 'r2:i1:1', accessRole: b, grantedAt: at(1) }])).toEqual([]);
    expect(postgres.accessRole({ target: 'orders_readonly?mode=login', role: 'readonly', grantId: 'x' })).toBe('orders_readonly');
  });
});

describe('postgres targets', () => {
  it('reads the mode an operator chose per resource', () => {
    expect(parsePostgresTarget('orders_readonly')).toEqual({ role: 'orders_readonly', mode: 'role' });
    expect(parsePostgresTarget('orders_readonly?mode=login')).toEqual({ role: 'orders_readonly', mode: 'login' });
    expect(parsePostgresTarget('orders_readonly?mode=credentials')).toEqual({ role: 'orders_readonly', mode: 'credentials' });
  });
  it('refuses an unknown mode, extra parameters and unsafe roles (SQL-injection attack)', () => {
    for (const bad of ['orders?mode=superuser', 'orders?mode=login&x=1', 'orders?a?b', 'pg_read_server_files?mode=credentials', 'x"; DROP ROLE y; --?mode=login']) {
      expect(postgresTargetProblem(bad)).toEqual(expect.any(String));
    }
  });
  it("names a grant's login after its person and grant, within PostgreSQL's 63 characters", () => {
    const a = credentialLoginName('Alice.Smith@example.com', 'r1:i1:1');
    expect(a).toMatch(/^kairos_jit_[a-z0-9_]+_[0-9a-f]{12}$/);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(credentialLoginName('x'.repeat(200), 'r1:i1:1').length).toBeLessThanOrEqual(63);
    expect(credentialLoginName('Alice.Smith@example.com', 'r2:i1:1')).not.toEqual(a);
  });
});

describe('short-lived passwords', () => {
  it('reach PostgreSQL as a SCRAM-SHA-256 verifier (RFC 5802), never in the clear', () => {
    const salt = Buffer.from('0123456789abcdef');
    const verifier = scramVerifier('pencil', 4096, salt);
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
    const stored = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
    const server = createHmac('sha256', salted).update('Server Key').digest('base64');
    expect(verifier).toBe(`SCRAM-SHA-256$4096:${salt.toString('base64')}$${stored}:${server}`);
    expect(verifier).not.toContain('pencil');
  });
  it('are shown only as a fingerprint that does not contain them', () => {
    expect(passwordFingerprint('pencil')).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(passwordFingerprint('pencil')).not.toContain('pencil');
  });
});

describe('ldap and github targets', () => {
  it('escapes a login into one DN value (LDAP-injection attack)', () => {
    expect(escapeDnValue('eve,ou=admins')).toBe('eve\\,ou\\=admins');
    expect(escapeDnValue(' x ')).toBe('\\ x\\ ');
  });
  it('accepts a group DN and refuses anything else', () => {
    expect(ldapTargetProblem('cn=orders-admins,ou=groups,dc=example,dc=org')).toBeUndefined();
    expect(ldapTargetProblem('orders-admins')).toEqual(expect.any(String));
  });
  it('reads org/team and refuses a path smuggling another API call', () => {
    expect(parseGithubTarget('acme/orders')).toEqual({ org: 'acme', team: 'orders' });
    expect(parseGithubTarget('acme/../../user')).toBeUndefined();
    expect(parseGithubTarget('acme/orders/memberships/x')).toBeUndefined();
    expect(parseGithubTarget('acme/..')).toBeUndefined();
  });
});

describe('the one list', () => {
  it('has one plug-in per connector name, in the same order', () => {
    expect(CONNECTOR_PLUGINS.map((p) => p.name)).toEqual([...CONNECTOR_NAMES]);
    for (const plugin of CONNECTOR_PLUGINS) {
      expect(plugin.description.length).toBeGreaterThan(20);
      for (const [name, spec] of Object.entries(plugin.settings)) expect([name, spec.description.length > 10]).toEqual([name, true]);
    }
  });
});
