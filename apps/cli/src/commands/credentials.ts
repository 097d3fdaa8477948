import { kairos } from '../client';
import { EXIT, usage } from '../exit-codes';
import type { Output } from '../output';

/**
 * `kairos credentials <grant-id>`: the short-lived database login of one of your grants. The
 * password comes in the first answer only (then just its fingerprint), straight to your terminal:
 * it is never written anywhere by this command.
 */
export async function credentialsCommand(positionals: readonly string[], out: Output): Promise<number> {
  const [grantId] = positionals;
  if (!grantId) throw usage('kairos credentials <grant-id> (shown by `kairos request show <id>`)');
  const { data } = await kairos().provisioning.GET('/v1/credentials/{grantId}', { params: { path: { grantId } } });
  out.result(data, () =>
    data?.password
      ? `login ${data.login}\npassword ${data.password}\nvalid until ${data.validUntil} (shown once: keep it now)\n${connectLine(data.login, data.connection as Record<string, unknown>)}`
      : `login ${data?.login ?? '?'}: the password was already ${data?.passwordGone ?? 'delivered'} (fingerprint ${data?.fingerprint ?? '?'}); valid until ${data?.validUntil ?? '?'}`,
  );
  return EXIT.ok;
}

/** How to log in with them: a psql command (it asks for the password) where host, port and database are known. */
function connectLine(login: string, connection: Record<string, unknown> | undefined): string {
  const { host, port, database } = connection ?? {};
  if (typeof host !== 'string' || port === undefined || typeof database !== 'string') return `connection ${JSON.stringify(connection ?? {})}`;
  const quote = (text: string) => (/^[A-Za-z0-9_.:/-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`);
  return `connect psql -h ${quote(host)} -p ${quote(String(port))} -U ${quote(login)} ${quote(database)}`;
}
