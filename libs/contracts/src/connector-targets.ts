import type { ConnectorName } from './connectors';

/**
 * What a catalogue `target` may be, per connector: the one rule the approval-policy catalogue
 * applies when a resource is saved (a bad target is refused there, with the field named) and the
 * provisioning connector's plug-ins apply before they act (a target that got past is refused for
 * good). Pure and dependency-free, so both services and the console can import it.
 *
 * The compiler refuses a name of CONNECTOR_NAMES without an entry here.
 */
export interface ConnectorTargetRule {
  /** What a target means for this connector, in words (docs, console hint). */
  readonly syntax: string;
  /** One well-formed target (placeholders, tests). */
  readonly example: string;
  /** Why this target can never be acted on, or undefined when it is well formed. */
  problem(target: string): string | undefined;
  /** Whether a grant on this target hands the requester short-lived credentials (shown once). */
  issuesCredentials(target: string): boolean;
}

// ---- postgres -------------------------------------------------------------------------------

/**
 * How a postgres resource hands out its role (chosen per resource by the operator, in the
 * catalogue target `<role>` or `<role>?mode=<mode>`):
 * - `role` (default): a login-less role standing for the identity becomes a member.
 * - `login`: the person's own login (from the directory mapping or the naming rule) becomes a member.
 * - `credentials`: a LOGIN role with a generated password, `VALID UNTIL` the access expiry, is
 *   created for this one grant and dropped at its end, sessions terminated.
 */
export const POSTGRES_MODES = ['role', 'login', 'credentials'] as const;
export type PostgresMode = (typeof POSTGRES_MODES)[number];

export interface PostgresTarget {
  readonly role: string;
  readonly mode: PostgresMode;
}

// Target roles reach SQL: only plain lower-case identifiers pass, and PostgreSQL's own reserved
// prefix (`pg_`) is refused so nobody can be handed a built-in role such as pg_read_server_files
// or pg_execute_server_program; `kairos_` is the connector's own.
const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A role name the postgres connector may hand out (or use as a login). */
export function isSafePostgresRoleName(name: string): boolean {
  return PLAIN_IDENTIFIER.test(name) && !name.startsWith('pg_') && !name.startsWith('kairos_');
}

/** The role and mode of a postgres target, or undefined for anything but a plain role and a known mode. */
export function parsePostgresTargetText(target: string): PostgresTarget | undefined {
  const [role = '', query, ...rest] = target.split('?');
  let mode: PostgresMode = 'role';
  if (query !== undefined || rest.length > 0) {
    const match = rest.length === 0 ? /^mode=([a-z]+)$/.exec(query ?? '') : null;
    if (!match || !(POSTGRES_MODES as readonly string[]).includes(match[1]!)) return undefined;
    mode = match[1] as PostgresMode;
  }
  return isSafePostgresRoleName(role) ? { role, mode } : undefined;
}

// ---- github ---------------------------------------------------------------------------------

const GITHUB_TARGET = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9][A-Za-z0-9._-]{0,99})$/;

/** `<org>/<team-slug>`, or undefined. */
export function parseGithubTargetText(target: string): { org: string; team: string } | undefined {
  const match = GITHUB_TARGET.exec(target);
  return match ? { org: match[1]!, team: match[2]! } : undefined;
}

// ---- free text ------------------------------------------------------------------------------

const freeText = (connector: string) => (target: string) =>
  target.length === 0 || /[\u0000-\u001f]/.test(target) ? `the ${connector} target is empty or has control characters` : undefined;

const quoted = (target: string) => JSON.stringify(target.slice(0, 80));

export const CONNECTOR_TARGETS: { readonly [K in ConnectorName]: ConnectorTargetRule } = {
  postgres: {
    example: 'orders_readonly?mode=credentials',
    syntax: '`<role>`, `<role>?mode=login` or `<role>?mode=credentials` (a plain lower-case role name, never pg_* or kairos_*)',
    problem: (target) =>
      parsePostgresTargetText(target)
        ? undefined
        : `refusing unsafe target role name ${quoted(target)}: the postgres target must be <role>, <role>?mode=login or <role>?mode=credentials, with a plain lower-case role name (never pg_* or kairos_*)`,
    issuesCredentials: (target) => parsePostgresTargetText(target)?.mode === 'credentials',
  },
  webhook: {
    example: 'orders-db',
    syntax: 'any text the receiver understands (sent as `target`)',
    problem: freeText('webhook'),
    issuesCredentials: () => false,
  },
  manual: {
    example: 'billing-console',
    syntax: 'free text telling the fulfiller where (shown on the ticket)',
    problem: freeText('manual'),
    issuesCredentials: () => false,
  },
  ldap: {
    example: 'cn=orders-admins,ou=groups,dc=example,dc=org',
    syntax: "the group's DN, e.g. `cn=orders-admins,ou=groups,dc=example,dc=org`",
    problem: (target) => (/^[A-Za-z][A-Za-z0-9-]*=[^\u0000-\u001f]+$/.test(target) && target.length <= 1000 ? undefined : 'the ldap target must be a group DN, e.g. cn=orders-admins,ou=groups,dc=example,dc=org'),
    issuesCredentials: () => false,
  },
  github: {
    example: 'acme/orders',
    syntax: '`<org>/<team-slug>`',
    problem: (target) => (parseGithubTargetText(target) ? undefined : 'the github target must be <org>/<team-slug>'),
    issuesCredentials: () => false,
  },
};

/** Why `target` is not a target of `connector`, or undefined when it is one. */
export function connectorTargetProblem(connector: ConnectorName, target: string): string | undefined {
  return CONNECTOR_TARGETS[connector].problem(target);
}
