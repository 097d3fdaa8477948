import type { ConsoleConfig } from './config';

/**
 * OIDC sign-in: authorization code with PKCE (S256), against whichever issuer /config.json names
 * (endpoints found by discovery). The code comes back in the URL and is removed from it at once; the
 * tokens only ever come in the token endpoint's response body and are kept in sessionStorage (gone
 * when the tab closes), never in a URL, a cookie or a log.
 */
export interface Session {
  readonly accessToken: string;
  readonly expiresAt: number;
  readonly sub: string;
  readonly name: string;
  readonly roles: readonly string[];
}

const SESSION_KEY = 'kairos.session';
const PENDING_KEY = 'kairos.signin';

interface Discovery {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
}

async function discover(config: ConsoleConfig): Promise<Discovery> {
  const res = await fetch(`${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the identity provider did not answer discovery (HTTP ${res.status})`);
  return (await res.json()) as Discovery;
}

function randomText(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function challengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

const redirectUri = () => `${window.location.origin}/`;

export async function signIn(config: ConsoleConfig, returnTo: string): Promise<void> {
  const discovery = await discover(config);
  const verifier = randomText(48);
  const state = randomText(16);
  const nonce = randomText(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnTo }));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid profile',
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }).toString();
  window.location.assign(url.toString());
}

/** Finishes a sign-in when the issuer has sent us back with a code; returns the hash route to show. */
export async function completeSignIn(config: ConsoleConfig): Promise<string | undefined> {
  const params = new URLSearchParams(window.location.search);
  if (!params.has('code') && !params.has('error')) return undefined;
  // The code leaves the address bar (and the history) before anything else happens.
  window.history.replaceState(null, '', '/');
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  if (params.has('error')) throw new Error(`sign-in refused: ${params.get('error_description') ?? params.get('error')}`);
  if (!pending || params.get('state') !== pending.state) throw new Error('sign-in answer does not match the sign-in this tab started; sign in again');
  const discovery = await discover(config);
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code') ?? '', redirect_uri: redirectUri(), client_id: config.clientId, code_verifier: pending.verifier }).toString(),
  });
  const body = (await res.json()) as { access_token?: string; expires_in?: number; error_description?: string };
  if (!res.ok || !body.access_token) throw new Error(`sign-in failed: ${body.error_description ?? `HTTP ${res.status}`}`);
  const claims = JSON.parse(atob(body.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { sub: string; name?: string; roles?: string[]; exp: number };
  const session: Session = {
    accessToken: body.access_token,
    expiresAt: claims.exp * 1000,
    sub: claims.sub,
    name: claims.name ?? claims.sub,
    roles: Array.isArray(claims.roles) ? claims.roles : [],
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return pending.returnTo;
}

export function currentSession(): Session | undefined {
  const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
  if (!session || session.expiresAt < Date.now() + 10_000) {
    sessionStorage.removeItem(SESSION_KEY);
    return undefined;
  }
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(SESSION_KEY);
}
