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
      ? `login ${data.login}\npassword ${data.password}\nvalid until ${data.validUntil} (shown once: keep it now)\nconnection ${JSON.stringify(data.connection)}`
      : `login ${data?.login ?? '?'}: the password was already ${data?.passwordGone ?? 'delivered'} (fingerprint ${data?.fingerprint ?? '?'}); valid until ${data?.validUntil ?? '?'}`,
  );
  return EXIT.ok;
}
