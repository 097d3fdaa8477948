import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isRole, loadOrCreateIssuerKey, signToken, type Role } from '@kairos/auth';
import type { CliOptions } from '../main';
import { CliError, EXIT, usage } from '../exit-codes';
import type { Output } from '../output';
import { browserSignIn, deviceSignIn, discover, refresh } from '../oidc';
import { credentialsFile, currentToken, embeddedDataDir, platformUrls, saveCredentials, type Credentials } from '../settings';

const claimsOf = (token: string): Record<string, unknown> => {
  const payload = token.split('.')[1];
  if (!payload) throw new CliError('that is not a JWT', EXIT.usage);
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new CliError('that is not a JWT', EXIT.usage);
  }
};

/**
 * `kairos login` signs in with the platform's OIDC provider (its issuer URL, found by discovery):
 * by default the device flow (a URL and a code to type in any browser, even on another machine);
 * with `--browser`, the authorization code with PKCE on a loopback redirect (the browser is opened,
 * or the URL printed when none can be). `--token <jwt>` keeps a token from anywhere; `--as <id>
 * --roles ...` signs a token with the embedded platform's demo issuer key (whoever can read its
 * data folder). The token is kept in KAIROS_HOME/credentials.json, readable by its owner only.
 */
export async function loginCommand(options: CliOptions, out: Output): Promise<number> {
  let saved: Credentials;
  if (options.token) {
    saved = { token: options.token.trim(), via: 'token' };
  } else if (options.as) {
    saved = { token: await embeddedToken(options), via: 'embedded' };
  } else {
    const issuer = options.issuer?.replace(/\/+$/, '') ?? platformUrls().issuer;
    if (!issuer) throw usage('KAIROS_URLS has no issuer URL: add "issuer", give --issuer <url>, or sign in with --token');
    if (!/^https?:\/\//.test(issuer)) throw usage('--issuer must be an http(s) URL');
    const clientId = options['client-id'] ?? process.env.KAIROS_CLIENT_ID ?? 'kairos-cli';
    const timeoutMs = options.timeout ? Number(options.timeout) * 1000 : undefined;
    if (timeoutMs !== undefined && !(timeoutMs > 0)) throw usage('--timeout must be a number of seconds');
    const doc = await discover(issuer);
    const notify = (line: string) => out.notice(line);
    const tokens = options.browser ? await browserSignIn(doc, clientId, { notify, timeoutMs }) : await deviceSignIn(doc, clientId, notify, timeoutMs);
    saved = {
      token: tokens.accessToken,
      via: 'oidc',
      issuer,
      clientId,
      tokenEndpoint: doc.token_endpoint,
      ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
      ...expiryOf(tokens.accessToken, tokens.expiresIn),
    };
  }
  const claims = claimsOf(saved.token);
  const subject = typeof claims.sub === 'string' ? claims.sub : undefined;
  const expiresAt = saved.expiresAt ?? expiryOf(saved.token).expiresAt;
  const file = saveCredentials({ ...saved, ...(subject ? { subject } : {}), ...(expiresAt ? { expiresAt } : {}) });
  out.result(
    { subject, roles: claims.roles, expiresAt, via: saved.via, refreshable: !!saved.refreshToken, credentials: file },
    `signed in as ${subject ?? '?'} until ${expiresAt ?? 'unknown'}${saved.refreshToken ? ' (renewed automatically)' : ''}`,
  );
  return EXIT.ok;
}

async function embeddedToken(options: CliOptions): Promise<string> {
  const roles = (options.roles ?? 'requester').split(',').filter(Boolean);
  const bad = roles.filter((role) => !isRole(role));
  if (bad.length > 0) throw usage(`unknown role(s): ${bad.join(', ')}`);
  const dir = join(embeddedDataDir(), 'issuer');
  if (!existsSync(dir)) throw new CliError(`no embedded platform in ${embeddedDataDir()} (start it with npm start, or use --token)`, EXIT.usage);
  const key = await loadOrCreateIssuerKey(dir);
  const issuer = platformUrls().issuer;
  if (!issuer) throw usage('KAIROS_URLS has no issuer URL; sign in with --token');
  return signToken(key, {
    sub: options.as!,
    roles: roles as Role[],
    kind: options.kind === 'service' ? 'service' : 'person',
    issuer,
    audience: 'kairos',
    ttlSeconds: 8 * 3600,
  });
}

/** The token's own `exp` where it is a JWT, else the provider's expires_in. */
function expiryOf(token: string, expiresIn?: number): { expiresAt?: string } {
  let exp: unknown;
  try {
    exp = claimsOf(token).exp;
  } catch {
    // an opaque access token: the provider's expires_in says
  }
  if (typeof exp === 'number') return { expiresAt: new Date(exp * 1000).toISOString() };
  return expiresIn ? { expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() } : {};
}

/** Renews an expired sign-in with its refresh token (the provider may rotate it). */
export async function refreshCredentials(saved: Credentials): Promise<Credentials> {
  const tokens = await refresh(saved.tokenEndpoint!, saved.clientId!, saved.refreshToken!);
  const claims = claimsOf(tokens.accessToken);
  return {
    ...saved,
    token: tokens.accessToken,
    refreshToken: tokens.refreshToken ?? saved.refreshToken,
    ...(typeof claims.sub === 'string' ? { subject: claims.sub } : {}),
    ...expiryOf(tokens.accessToken, tokens.expiresIn),
  };
}

export async function logoutCommand(out: Output): Promise<number> {
  rmSync(credentialsFile(), { force: true });
  out.result({ signedIn: false }, 'signed out');
  return EXIT.ok;
}

export async function whoamiCommand(out: Output): Promise<number> {
  const claims = claimsOf(await currentToken(process.env, refreshCredentials));
  const who = { subject: claims.sub, roles: claims.roles, kind: claims.kind, issuer: claims.iss, expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : undefined };
  out.result(who, `${String(who.subject)} (${Array.isArray(who.roles) ? who.roles.join(', ') : ''}) until ${who.expiresAt ?? '?'}`);
  return EXIT.ok;
}
