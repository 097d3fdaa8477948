import { parseArgs } from 'node:util';
import { KairosApiError } from '@kairos/api-client';
import { auditCommand } from './commands/audit';
import { credentialsCommand } from './commands/credentials';
import { loginCommand, logoutCommand, whoamiCommand } from './commands/login';
import { requestCommand } from './commands/request';
import { resourcesCommand } from './commands/resources';
import { reviewCommand } from './commands/review';
import { ticketsCommand } from './commands/tickets';
import { CliError, EXIT } from './exit-codes';
import { Output } from './output';

const HELP = `kairos — just-in-time access from the command line

  kairos login [--browser] [--issuer <url>] [--client-id <id>]   sign in with the platform's OIDC provider: a URL
                        and a code to enter in any browser (device flow), or --browser (opens it; PKCE)
  kairos login --token <jwt> | --as <id> --roles <r,...>     keep a token / sign with the embedded demo issuer key
  kairos logout | whoami
  kairos resources search [--query <text>] [--tier <0-4>]
  kairos request create --resource <id:role> [--resource ...] --reason <text> [--duration PT1H]
                        [--ticket <ref>] [--break-glass] [--for <identity>] [--wait] [--timeout 120]
                        [--idempotency-key <key>]
  kairos request ls [--status <s>] | show <id> | cancel <id> [--item <id>] [--reason <text>]
  kairos request extend <id> --item <id> (--by PT1H | --to <instant>) | release <id> --item <id>
  kairos review ls | approve <request> [--item i1] [--comment <text>] [--shorten PT30M]
  kairos review deny <request> [--item i1] --comment <text> | ratify <request> [--item i1] [--reject]
  kairos tickets ls | complete <ticket> --comment <text> | fail <ticket> --comment <text>
  kairos credentials <grant-id>                              your short-lived database login (password shown once)
  kairos audit timeline <request> | evidence --from <instant> --to <instant> [--format csv] | verify

  --output json   machine-readable output on every command (for scripts and CI jobs)
  Platform URLs: KAIROS_URLS (JSON), else the embedded layout (KAIROS_PORT_BASE). Token: KAIROS_TOKEN or \`kairos login\`.
  Exit codes: 0 ok, 2 usage, 3 refused, 4 not signed in, 5 not found, 6 unavailable, 7 not granted, 8 timed out.
`;

const OPTIONS = {
  output: { type: 'string' },
  as: { type: 'string' },
  roles: { type: 'string' },
  kind: { type: 'string' },
  token: { type: 'string' },
  browser: { type: 'boolean' },
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  query: { type: 'string' },
  tier: { type: 'string' },
  resource: { type: 'string', multiple: true },
  reason: { type: 'string' },
  duration: { type: 'string' },
  ticket: { type: 'string' },
  'break-glass': { type: 'boolean' },
  for: { type: 'string' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  'idempotency-key': { type: 'string' },
  status: { type: 'string' },
  item: { type: 'string', multiple: true },
  by: { type: 'string' },
  to: { type: 'string' },
  comment: { type: 'string' },
  shorten: { type: 'string' },
  reject: { type: 'boolean' },
  from: { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type CliOptions = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

export async function run(argv: string[], out: Output = new Output()): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return out.fail(new CliError((error as Error).message, EXIT.usage), HELP);
  }
  const { values, positionals } = parsed;
  if (values.output !== undefined && values.output !== 'json' && values.output !== 'text') {
    return out.fail(new CliError('--output must be json or text', EXIT.usage), HELP);
  }
  out.json = values.output === 'json';
  const [group, action, ...rest] = positionals;
  if (values.help || !group) {
    out.text(HELP);
    return group ? EXIT.ok : EXIT.usage;
  }
  try {
    switch (group) {
      case 'login':
        return await loginCommand(values, out);
      case 'logout':
        return await logoutCommand(out);
      case 'whoami':
        return await whoamiCommand(out);
      case 'resources':
        return await resourcesCommand(action, values, out);
      case 'request':
        return await requestCommand(action, rest, values, out);
      case 'review':
        return await reviewCommand(action, rest, values, out);
      case 'tickets':
        return await ticketsCommand(action, rest, values, out);
      case 'audit':
        return await auditCommand(action, rest, values, out);
      case 'credentials':
        return await credentialsCommand(action ? [action, ...rest] : [], out);
      default:
        throw new CliError(`unknown command "${group}"`, EXIT.usage);
    }
  } catch (error) {
    return out.fail(toCliError(error), error instanceof CliError && error.exitCode === EXIT.usage ? HELP : undefined);
  }
}

/** The exit code of an API answer: what went wrong, for a script to act on. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof KairosApiError) {
    const code =
      error.status === 401
        ? EXIT.unauthenticated
        : error.status === 404
          ? EXIT.notFound
          : error.status >= 500
            ? EXIT.unavailable
            : EXIT.refused;
    const fields = error.errors.map((e) => `${e.field}: ${e.messages.join('; ')}`);
    const problems = Array.isArray(error.body.problems)
      ? (error.body.problems as { message?: unknown }[]).map((p) => String(p.message ?? '')).filter(Boolean)
      : [];
    const message = [error.message, ...fields, ...problems].join('\n  ');
    return new CliError(message, code, { status: error.status, code: error.code, ...(error.correlationId ? { correlationId: error.correlationId } : {}) });
  }
  // fetch itself failed: nothing answered (refused, reset, unknown host, timeout).
  if (error instanceof Error && (error.name === 'TypeError' || error.name === 'AbortError' || error.name === 'TimeoutError') && /fetch failed|aborted|timeout/i.test(error.message)) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : error.message;
    return new CliError(`the platform is unreachable (${why}); is it running?`, EXIT.unavailable);
  }
  return new CliError(error instanceof Error ? error.message : String(error), EXIT.failed);
}

if (require.main === module || process.argv[1]?.endsWith('kairos.js') || process.argv[1]?.endsWith('main.ts')) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
