import { CONNECTOR_TARGETS } from '@kairos/contracts';
import { definePlugin } from '../../../domain/connector';
import { loginMapProblem } from '../../../domain/logins';
import { PostgresConnector } from './postgres.connector';
import { parsePostgresTarget } from './target';
import { credentialLoginName } from './credentials';

export const plugin = definePlugin({
  name: 'postgres',
  description:
    'Grants a catalogue role (a PostgreSQL role) in the target database, one of three ways per resource: to a login-less role standing for the identity, to the person\'s own login, or as short-lived credentials (a LOGIN role with a generated password, VALID UNTIL the expiry, dropped at the end with its sessions terminated).',
  targetSyntax: CONNECTOR_TARGETS.postgres.syntax,
  settings: {
    TARGET_POSTGRES_URL: {
      type: 'url',
      protocols: ['postgres', 'postgresql'],
      secret: true,
      description:
        'the target PostgreSQL whose role memberships the postgres connector grants (credentials from configuration only; the account needs CREATEROLE, and pg_signal_backend to end short-lived sessions)',
    },
    TARGET_POSTGRES_STATEMENT_TIMEOUT_MS: {
      type: 'int',
      min: 0,
      default: 10_000,
      description: 'statement_timeout of the connector\'s sessions in the target: a hung statement fails (and is retried) instead of holding the job (0 = none)',
    },
    TARGET_POSTGRES_LOCK_TIMEOUT_MS: {
      type: 'int',
      min: 0,
      default: 5_000,
      description: 'lock_timeout of the connector\'s sessions in the target: a role locked by another session fails the call (and is retried) instead of holding it (0 = none)',
    },
    POSTGRES_LOGIN_MAP: {
      type: 'list',
      default: [],
      description: 'directory of own logins for `?mode=login` resources: identity=login pairs, comma-separated (checked before the rule)',
    },
    POSTGRES_LOGIN_RULE: {
      type: 'string',
      default: '',
      description: 'naming rule for own logins when the identity is not in POSTGRES_LOGIN_MAP: `{id}` or `{local}` (part before @); empty = mapped identities only',
    },
  },
  checkSettings: (c) => {
    const problem = loginMapProblem(c.POSTGRES_LOGIN_MAP);
    return problem ? [`POSTGRES_LOGIN_MAP: ${problem}`] : [];
  },
  targetProblem: CONNECTOR_TARGETS.postgres.problem,
  accessRole: ({ target, grantId }) => {
    let parsed;
    try {
      parsed = parsePostgresTarget(target);
    } catch {
      return target; // refused when the job runs; recording it must not fail
    }
    // A short-lived login belongs to one grant: no other grant ever keeps it.
    return parsed.mode === 'credentials' ? `${parsed.role}@grant:${grantId}` : parsed.role;
  },
  launcherEnv: (urls) => ({ TARGET_POSTGRES_URL: urls.targetDatabase, POSTGRES_LOGIN_RULE: '{local}' }),
  create: (c, { clock }) => new PostgresConnector(c.TARGET_POSTGRES_URL, {
      logins: { map: c.POSTGRES_LOGIN_MAP, rule: c.POSTGRES_LOGIN_RULE },
      clock,
      statementTimeoutMs: c.TARGET_POSTGRES_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: c.TARGET_POSTGRES_LOCK_TIMEOUT_MS,
    }),
});

export { credentialLoginName };
