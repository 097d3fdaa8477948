import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isRole, loadOrCreateIssuerKey, signToken, type Role } from '@kairos/auth';
import type { CliOptions } from '../main';
import { CliError, EXIT, usage } from '../exit-codes';
import type { Output } from '../output';
import { credentialsFile, currentToken, embeddedDataDir, platformUrls, saveCredentials } from '../settings';

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
 * `kairos login --token <jwt>` keeps a token from any OIDC provider (the services check it on every
 * call); `kairos login --as <id> --roles ...` signs in to the embedded platform of `npm start` with
 * its demo issuer (the key in its data folder: only whoever can read that folder can do this).
 */
export async function loginCommand(options: CliOptions, out: Output): Promise<number> {
  let token: string;
  if (options.token) {
    token = options.token.trim();
  } else if (options.as) {
    const roles = (options.roles ?? 'requester').split(',').filter(Boolean);
    const bad = roles.filter((role) => !isRole(role));
    if (bad.length > 0) throw usage(`unknown role(s): ${bad.join(', ')}`);
    const dir = join(embeddedDataDir(), 'issuer');
    if (!existsSync(dir)) throw new CliError(`no embedded platform in ${embeddedDataDir()} (start it with npm start, or use --token)`, EXIT.usage);
    const key = await loadOrCreateIssuerKey(dir);
    const issuer = platformUrls().issuer;
    if (!issuer) throw usage('KAIROS_URLS has no issuer URL; sign in with --token');
    token = await signToken(key, {
      sub: options.as,
      roles: roles as Role[],
      kind: options.kind === 'service' ? 'service' : 'person',
      issuer,
      audience: 'kairos',
      ttlSeconds: 8 * 3600,
    });
  } else {
    throw usage('give --token <jwt> (any OIDC provider) or --as <id> --roles <roles> (the embedded platform)');
  }
  const claims = claimsOf(token);
  const expiresAt = typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : undefined;
  const subject = typeof claims.sub === 'string' ? claims.sub : undefined;
  const file = saveCredentials({ token, ...(subject ? { subject } : {}), ...(expiresAt ? { expiresAt } : {}) });
  out.result({ subject, roles: claims.roles, expiresAt, credentials: file }, `signed in as ${subject ?? '?'} until ${expiresAt ?? 'unknown'}`);
  return EXIT.ok;
}

export async function logoutCommand(out: Output): Promise<number> {
  rmSync(credentialsFile(), { force: true });
  out.result({ signedIn: false }, 'signed out');
  return EXIT.ok;
}

export async function whoamiCommand(out: Output): Promise<number> {
  const claims = claimsOf(currentToken());
  const who = { subject: claims.sub, roles: claims.roles, kind: claims.kind, issuer: claims.iss, expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : undefined };
  out.result(who, `${String(who.subject)} (${Array.isArray(who.roles) ? who.roles.join(', ') : ''}) until ${who.expiresAt ?? '?'}`);
  return EXIT.ok;
}
