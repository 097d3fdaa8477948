import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { KairosBaseUrls } from '@kairos/api-client';
import { CliError, EXIT } from './exit-codes';

/**
 * Where the platform answers. One setting, `KAIROS_URLS` (JSON: requests, policy, provisioning,
 * audit, issuer), for any deployment; without it the embedded layout of `npm start` is used, so
 * `KAIROS_PORT_BASE` moves every URL at once.
 */
export interface PlatformUrls extends KairosBaseUrls {
  readonly issuer?: string;
}

export function platformUrls(env: NodeJS.ProcessEnv = process.env): PlatformUrls {
  if (env.KAIROS_URLS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.KAIROS_URLS);
    } catch {
      throw new CliError('KAIROS_URLS must be JSON, e.g. {"requests":"https://kairos.example/requests",...}', EXIT.usage);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError('KAIROS_URLS must be a JSON object', EXIT.usage);
    const urls: Record<string, string> = {};
    for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof value !== 'string' || !/^https?:\/\//.test(value)) throw new CliError(`KAIROS_URLS.${name} must be an http(s) URL`, EXIT.usage);
      urls[name] = value.replace(/\/+$/, '');
    }
    return urls;
  }
  const base = Number(env.KAIROS_PORT_BASE ?? 3000);
  if (!Number.isInteger(base) || base < 1024 || base > 65000) throw new CliError(`KAIROS_PORT_BASE must be an integer between 1024 and 65000`, EXIT.usage);
  const at = (offset: number) => `http://127.0.0.1:${base + offset}`;
  return { issuer: at(0), requests: at(1), policy: at(2), provisioning: at(3), expiry: at(4), audit: at(5) };
}

/** The data folder of the embedded platform (for `login --as` with the local issuer). */
export const embeddedDataDir = (env: NodeJS.ProcessEnv = process.env): string => resolve(env.KAIROS_DATA_DIR ?? '.kairos');

/** Where the signed-in token is kept: `KAIROS_HOME` or ~/.kairos, readable by its owner only. */
export const credentialsFile = (env: NodeJS.ProcessEnv = process.env): string => join(env.KAIROS_HOME ?? join(homedir(), '.kairos'), 'credentials.json');

export interface Credentials {
  readonly token: string;
  readonly subject?: string;
  readonly expiresAt?: string;
  /** How it was obtained: `oidc` (device or browser sign-in), `token`, or `embedded` (--as). */
  readonly via?: 'oidc' | 'token' | 'embedded';
  readonly issuer?: string;
  readonly clientId?: string;
  readonly tokenEndpoint?: string;
  /** Where the provider gave one: used to renew the token when it expires. */
  readonly refreshToken?: string;
}

export function saveCredentials(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsFile(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Created 0600 and kept so even if it existed with looser permissions: it holds bearer tokens.
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function savedCredentials(env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const file = credentialsFile(env);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
  } catch {
    throw new CliError(`${file} is not readable JSON: run \`kairos logout\` and \`kairos login\` again`, EXIT.unauthenticated);
  }
}

/** Renews a saved token that has expired (or is about to) when the provider gave a refresh token. */
export type Refresher = (saved: Credentials) => Promise<Credentials>;

const EXPIRY_MARGIN_MS = 30_000;

/**
 * The token to call with: `KAIROS_TOKEN` (CI jobs), else the one `kairos login` saved — renewed
 * with its refresh token when it has expired; without one, a clear message to sign in again.
 */
export async function currentToken(env: NodeJS.ProcessEnv = process.env, refresher?: Refresher): Promise<string> {
  if (env.KAIROS_TOKEN) return env.KAIROS_TOKEN.trim();
  const saved = savedCredentials(env);
  if (!saved) throw new CliError('not signed in: run `kairos login` (or set KAIROS_TOKEN)', EXIT.unauthenticated);
  if (saved.expiresAt && Date.parse(saved.expiresAt) - EXPIRY_MARGIN_MS <= Date.now()) {
    if (saved.refreshToken && saved.tokenEndpoint && saved.clientId && refresher) {
      const renewed = await refresher(saved);
      saveCredentials(renewed, env);
      return renewed.token;
    }
    throw new CliError(`your sign-in expired at ${saved.expiresAt}: run \`kairos login\` again`, EXIT.unauthenticated);
  }
  return saved.token;
}
