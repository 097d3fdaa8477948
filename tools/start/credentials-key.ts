import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * The key sealing short-lived credentials until their requester fetches them. Unless the operator
 * set CREDENTIALS_KEY or CREDENTIALS_KEY_FILE, `npm start` makes one on the first start and keeps
 * it in the data folder (`credentials-key/key`, mode 0600, folder 0700), so credentials not yet
 * fetched survive a restart of the provisioning connector. Returns the connector's variables.
 */
export function credentialsKeyEnv(dir: string, env: NodeJS.ProcessEnv = process.env): { CREDENTIALS_KEY_FILE?: string } {
  if (env.CREDENTIALS_KEY || env.CREDENTIALS_KEY_FILE) return {};
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = join(dir, 'key');
  const existing = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (Buffer.from(existing, 'base64').length !== 32) writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { CREDENTIALS_KEY_FILE: file };
}
