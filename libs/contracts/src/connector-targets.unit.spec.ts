import { CONNECTOR_NAMES } from './connectors';
import { CONNECTOR_TARGETS, connectorTargetProblem, parsePostgresTargetText } from './connector-targets';

describe('connector targets (the one rule of the catalogue and the connectors)', () => {
  it('has a rule, with its syntax in words, for every connector of the one list', () => {
    for (const name of CONNECTOR_NAMES) {
      expect(CONNECTOR_TARGETS[name].syntax.length).toBeGreaterThan(5);
      expect(connectorTargetProblem(name, CONNECTOR_TARGETS[name].example)).toBeUndefined();
    }
  });

  it('reads a postgres target as role and mode', () => {
    expect(parsePostgresTargetText('orders_readonly')).toEqual({ role: 'orders_readonly', mode: 'role' });
    expect(parsePostgresTargetText('orders_readonly?mode=login')).toEqual({ role: 'orders_readonly', mode: 'login' });
    expect(parsePostgresTargetText('orders_readonly?mode=credentials')).toEqual({ role: 'orders_readonly', mode: 'credentials' });
  });

  it.each(['pg_read_server_files', 'pg_execute_server_program?mode=credentials', 'kairos_alice_123', 'Orders', 'orders-db', 'x"; DROP ROLE y; --', 'orders?mode=superuser', 'orders?mode=login&x=1', 'orders?a?b', ''])(
    'refuses the postgres target %j (attack: a built-in role, an injection or an unknown mode)',
    (target) => {
      expect(connectorTargetProblem('postgres', target)).toMatch(/refusing unsafe target role name/);
      expect(CONNECTOR_TARGETS.postgres.issuesCredentials(target)).toBe(false);
    },
  );

  it('says which targets hand out short-lived credentials: postgres ?mode=credentials only', () => {
    expect(CONNECTOR_TARGETS.postgres.issuesCredentials('orders_readonly?mode=credentials')).toBe(true);
    expect(CONNECTOR_TARGETS.postgres.issuesCredentials('orders_readonly?mode=login')).toBe(false);
    expect(CONNECTOR_TARGETS.postgres.issuesCredentials('orders_readonly')).toBe(false);
    for (const name of CONNECTOR_NAMES.filter((n) => n !== 'postgres')) expect(CONNECTOR_TARGETS[name].issuesCredentials('anything?mode=credentials')).toBe(false);
  });

  it('checks the ldap, github, webhook and manual targets', () => {
    expect(connectorTargetProblem('ldap', 'cn=orders-admins,ou=groups,dc=example,dc=org')).toBeUndefined();
    expect(connectorTargetProblem('ldap', 'orders-admins')).toMatch(/group DN/);
    expect(connectorTargetProblem('github', 'acme/orders')).toBeUndefined();
    for (const bad of ['acme/../../user', 'acme/orders/memberships/x', 'acme/..', 'acme']) expect(connectorTargetProblem('github', bad)).toMatch(/<org>\/<team-slug>/);
    for (const name of ['webhook', 'manual'] as const) {
      expect(connectorTargetProblem(name, 'billing-console')).toBeUndefined();
      expect(connectorTargetProblem(name, '')).toMatch(/empty or has control characters/);
      expect(connectorTargetProblem(name, 'a\u0000b')).toMatch(/empty or has control characters/);
    }
  });
});
