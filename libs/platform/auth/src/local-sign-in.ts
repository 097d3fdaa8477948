import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Role } from './principal';

/**
 * The embedded issuer's sign-in: OAuth 2.0 authorization code with PKCE (S256 only) for the console,
 * the device authorization grant (RFC 8628) and loopback redirects (RFC 8252) for the CLI. There are
 * no passwords: the sign-in page lists the demo identities, which is exactly what the embedded default
 * is for. Codes are random, short-lived and single use; tokens only ever travel in the token
 * endpoint's response body, never in a URL.
 */
export interface SignInIdentity {
  readonly sub: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly kind?: 'person' | 'service';
  /** One line shown on the sign-in page (what this identity is for in the demo). */
  readonly description?: string;
}

export interface SignInClient {
  readonly clientId: string;
  /** Exact redirect URIs; a loopback URI (`http://127.0.0.1/…` or `http://localhost/…`) matches any port (RFC 8252 §7.3). */
  readonly redirectUris: readonly string[];
}

export interface SignInOptions {
  readonly identities: readonly SignInIdentity[];
  readonly clients: readonly SignInClient[];
  /** Lifetime of access and ID tokens issued by sign-in (seconds). */
  readonly tokenTtlSeconds?: number;
  /** Lifetime of an authorization code (seconds); default 60. */
  readonly codeTtlSeconds?: number;
  /** Lifetime of a device code (seconds); default 600. */
  readonly deviceCodeTtlSeconds?: number;
}

export type IssueTokens = (identity: SignInIdentity, clientId: string, nonce: string | undefined) => Promise<{ accessToken: string; idToken: string; expiresIn: number }>;

interface PendingAuthorization {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly state?: string;
  readonly nonce?: string;
  readonly expiresAt: number;
}

interface IssuedCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly sub: string;
  readonly nonce?: string;
  readonly expiresAt: number;
}

interface DeviceAuthorization {
  readonly clientId: string;
  readonly userCode: string;
  readonly expiresAt: number;
  readonly interval: number;
  lastPolledAt: number;
  sub?: string;
  denied?: boolean;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const MAX_PENDING = 10_000;
const MAX_FORM_BYTES = 16 * 1024;

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export class LocalSignIn {
  private readonly pending = new Map<string, PendingAuthorization>();
  private readonly codes = new Map<string, IssuedCode>();
  private readonly devices = new Map<string, DeviceAuthorization>();
  private readonly deviceByUserCode = new Map<string, string>();

  constructor(
    private readonly options: SignInOptions,
    private readonly issuer: () => string,
    private readonly issue: IssueTokens,
    private readonly now: () => number = Date.now,
  ) {}

  discovery(): Record<string, unknown> {
    const issuer = this.issuer();
    return {
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      device_authorization_endpoint: `${issuer}/device_authorization`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', DEVICE_GRANT],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      scopes_supported: ['openid', 'profile'],
      subject_types_supported: ['public'],
      claims_supported: ['sub', 'name', 'roles', 'kind'],
      authorization_response_iss_parameter_supported: true,
    };
  }

  /** Answers the sign-in routes; false when the path is not one of them. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const method = req.method ?? 'GET';
    if (path === '/authorize' && method === 'GET') return this.authorizePage(req, res), true;
    if (path === '/authorize' && method === 'POST') return this.authorizeDecision(await readForm(req, res), res), true;
    if (path === '/token' && method === 'POST') return await this.token(await readForm(req, res), res), true;
    if (path === '/device_authorization' && method === 'POST') return this.deviceAuthorization(await readForm(req, res), res), true;
    if (path === '/device' && method === 'GET') return this.devicePage(req, res), true;
    if (path === '/device' && method === 'POST') return this.deviceDecision(await readForm(req, res), res), true;
    if (['/authorize', '/token', '/device_authorization', '/device'].includes(path)) {
      res.writeHead(405, { allow: path === '/token' || path === '/device_authorization' ? 'POST' : 'GET, POST', 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ title: 'Method Not Allowed', status: 405 }));
      return true;
    }
    return false;
  }

  // ---- authorization code + PKCE -------------------------------------------------------------

  private authorizePage(req: IncomingMessage, res: ServerResponse): void {
    const query = new URL(req.url ?? '/', 'http://issuer').searchParams;
    const clientId = query.get('client_id') ?? '';
    const redirectUri = query.get('redirect_uri') ?? '';
    const client = this.options.clients.find((c) => c.clientId === clientId);
    // Without a known client and one of its redirect URIs, nothing is redirected anywhere (no open redirect).
    if (!client) return errorPage(res, 400, 'Unknown client', 'The application asking you to sign in is not registered with this issuer.');
    if (!redirectAllowed(client, redirectUri)) return errorPage(res, 400, 'Redirect not allowed', 'The address to return to is not registered for this application.');
    const state = query.get('state') ?? undefined;
    const back = (error: string, description: string) => redirect(res, redirectUri, { error, error_description: description, ...(state ? { state } : {}), iss: this.issuer() });
    if (query.get('response_type') !== 'code') return back('unsupported_response_type', 'only response_type=code is supported');
    const challenge = query.get('code_challenge') ?? '';
    if (query.get('code_challenge_method') !== 'S256' || !CHALLENGE.test(challenge)) {
      return back('invalid_request', 'PKCE is required: code_challenge (base64url SHA-256) with code_challenge_method=S256');
    }
    this.sweep();
    if (this.pending.size >= MAX_PENDING) return errorPage(res, 503, 'Busy', 'Too many sign-ins in progress; try again in a minute.');
    const tx = randomToken();
    this.pending.set(tx, { clientId, redirectUri, codeChallenge: challenge, state, nonce: query.get('nonce') ?? undefined, expiresAt: this.now() + 10 * 60_000 });
    const formTarget = new URL(redirectUri).origin;
    sendPage(res, 200, 'Sign in to Kairos', identityChooser(this.options.identities, '/authorize', { tx }), formTarget);
  }

  private authorizeDecision(form: URLSearchParams | undefined, res: ServerResponse): void {
    if (!form) return;
    const tx = form.get('tx') ?? '';
    const pending = this.pending.get(tx);
    this.pending.delete(tx);
    if (!pending || pending.expiresAt < this.now()) return errorPage(res, 400, 'Sign-in expired', 'This sign-in page has expired or was already used. Go back to the application and sign in again.');
    const back = { ...(pending.state ? { state: pending.state } : {}), iss: this.issuer() };
    const identity = this.options.identities.find((i) => i.sub === form.get('sub'));
    if (form.get('action') === 'cancel' || !identity) {
      return redirect(res, pending.redirectUri, { error: 'access_denied', error_description: 'sign-in cancelled', ...back });
    }
    const code = randomToken();
    this.codes.set(code, {
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      codeChallenge: pending.codeChallenge,
      sub: identity.sub,
      nonce: pending.nonce,
      expiresAt: this.now() + (this.options.codeTtlSeconds ?? 60) * 1000,
    });
    redirect(res, pending.redirectUri, { code, ...back });
  }

  private async token(form: URLSearchParams | undefined, res: ServerResponse): Promise<void> {
    if (!form) return;
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') return this.exchangeCode(form, res);
    if (grantType === DEVICE_GRANT) return this.exchangeDeviceCode(form, res);
    return oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be authorization_code or the device code grant');
  }

  private async exchangeCode(form: URLSearchParams, res: ServerResponse): Promise<void> {
    const code = form.get('code') ?? '';
    const issued = this.codes.get(code);
    // Single use: the code is gone from the first attempt on, whether that attempt succeeds or not.
    this.codes.delete(code);
    if (!issued) return oauthError(res, 400, 'invalid_grant', 'the code is unknown or was already used');
    if (issued.expiresAt < this.now()) return oauthError(res, 400, 'invalid_grant', 'the code has expired');
    if (form.get('client_id') !== issued.clientId) return oauthError(res, 400, 'invalid_grant', 'the code was issued to another client');
    if (form.get('redirect_uri') !== issued.redirectUri) return oauthError(res, 400, 'invalid_grant', 'redirect_uri differs from the authorization request');
    const verifier = form.get('code_verifier') ?? '';
    if (!VERIFIER.test(verifier)) return oauthError(res, 400, 'invalid_request', 'code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]');
    if (!sameText(pkceChallenge(verifier), issued.codeChallenge)) return oauthError(res, 400, 'invalid_grant', 'code_verifier does not match the code_challenge');
    const identity = this.options.identities.find((i) => i.sub === issued.sub);
    if (!identity) return oauthError(res, 400, 'invalid_grant', 'the identity is no longer offered');
    await this.sendTokens(res, identity, issued.clientId, issued.nonce);
  }

  // ---- device authorization grant (RFC 8628) ---------------------------------------------------

  private deviceAuthorization(form: URLSearchParams | undefined, res: ServerResponse): void {
    if (!form) return;
    const clientId = form.get('client_id') ?? '';
    if (!this.options.clients.some((c) => c.clientId === clientId)) return oauthError(res, 401, 'invalid_client', 'unknown client_id');
    this.sweep();
    if (this.devices.size >= MAX_PENDING) return oauthError(res, 503, 'temporarily_unavailable', 'too many device sign-ins in progress');
    const deviceCode = randomToken();
    const userCode = newUserCode();
    const ttl = this.options.deviceCodeTtlSeconds ?? 600;
    this.devices.set(deviceCode, { clientId, userCode, expiresAt: this.now() + ttl * 1000, interval: 5, lastPolledAt: 0 });
    this.deviceByUserCode.set(userCode, deviceCode);
    const verification = `${this.issuer()}/device`;
    sendJson(res, 200, {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: verification,
      verification_uri_complete: `${verification}?user_code=${encodeURIComponent(userCode)}`,
      expires_in: ttl,
      interval: 5,
    });
  }

  private devicePage(req: IncomingMessage, res: ServerResponse): void {
    const given = new URL(req.url ?? '/', 'http://issuer').searchParams.get('user_code') ?? '';
    sendPage(
      res,
      200,
      'Sign in a device',
      `<p>Enter the code your terminal shows.</p>
<form method="post" action="/device">
  <label for="user_code">Code</label>
  <input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" required value="${escapeHtml(given)}">
  <button type="submit">Continue</button>
</form>`,
    );
  }

  private deviceDecision(form: URLSearchParams | undefined, res: ServerResponse): void {
    if (!form) return;
    const userCode = normaliseUserCode(form.get('user_code') ?? '');
    const deviceCode = this.deviceByUserCode.get(userCode);
    const device = deviceCode ? this.devices.get(deviceCode) : undefined;
    if (!device || device.expiresAt < this.now() || device.sub || device.denied) {
      return errorPage(res, 400, 'Unknown code', 'That code is unknown, expired or already used. Start the sign-in again in your terminal.');
    }
    const sub = form.get('sub');
    if (!sub) return sendPage(res, 200, 'Sign in a device', identityChooser(this.options.identities, '/device', { user_code: userCode }));
    if (form.get('action') === 'cancel') {
      device.denied = true;
      return sendPage(res, 200, 'Sign-in refused', '<p>The terminal will not be signed in. You can close this page.</p>');
    }
    const identity = this.options.identities.find((i) => i.sub === sub);
    if (!identity) return errorPage(res, 400, 'Unknown identity', 'Choose one of the identities offered.');
    device.sub = identity.sub;
    sendPage(res, 200, 'Signed in', `<p>Your terminal is signed in as <strong>${escapeHtml(identity.name)}</strong>. You can close this page.</p>`);
  }

  private async exchangeDeviceCode(form: URLSearchParams, res: ServerResponse): Promise<void> {
    const deviceCode = form.get('device_code') ?? '';
    const device = this.devices.get(deviceCode);
    if (!device || device.clientId !== form.get('client_id')) return oauthError(res, 400, 'invalid_grant', 'the device code is unknown or was already used');
    const now = this.now();
    if (device.expiresAt < now) {
      this.forgetDevice(deviceCode);
      return oauthError(res, 400, 'expired_token', 'the device code has expired');
    }
    if (device.denied) {
      this.forgetDevice(deviceCode);
      return oauthError(res, 400, 'access_denied', 'the sign-in was refused');
    }
    if (!device.sub) {
      const tooSoon = now - device.lastPolledAt < device.interval * 1000;
      device.lastPolledAt = now;
      return oauthError(res, 400, tooSoon ? 'slow_down' : 'authorization_pending', tooSoon ? 'poll no faster than the interval' : 'waiting for the person to sign in');
    }
    this.forgetDevice(deviceCode);
    const identity = this.options.identities.find((i) => i.sub === device.sub);
    if (!identity) return oauthError(res, 400, 'invalid_grant', 'the identity is no longer offered');
    await this.sendTokens(res, identity, device.clientId, undefined);
  }

  private forgetDevice(deviceCode: string): void {
    const device = this.devices.get(deviceCode);
    if (device) this.deviceByUserCode.delete(device.userCode);
    this.devices.delete(deviceCode);
  }

  // ---- shared ----------------------------------------------------------------------------------

  private async sendTokens(res: ServerResponse, identity: SignInIdentity, clientId: string, nonce: string | undefined): Promise<void> {
    const { accessToken, idToken, expiresIn } = await this.issue(identity, clientId, nonce);
    sendJson(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, id_token: idToken, scope: 'openid profile' });
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, v] of this.pending) if (v.expiresAt < now) this.pending.delete(k);
    for (const [k, v] of this.codes) if (v.expiresAt < now) this.codes.delete(k);
    for (const [k, v] of this.devices) if (v.expiresAt < now) this.forgetDevice(k);
  }
}

export function redirectAllowed(client: SignInClient, redirectUri: string): boolean {
  let asked: URL;
  try {
    asked = new URL(redirectUri);
  } catch {
    return false;
  }
  if (asked.hash || asked.username || asked.password) return false;
  return client.redirectUris.some((registered) => {
    if (registered === redirectUri) return true;
    const known = new URL(registered);
    const loopback = known.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(known.hostname) && known.port === '';
    return loopback && asked.protocol === 'http:' && asked.hostname === known.hostname && asked.pathname === known.pathname && asked.search === known.search;
  });
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function newUserCode(): string {
  const bytes = randomBytes(8);
  const chars = [...bytes].map((b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}

function normaliseUserCode(raw: string): string {
  const letters = raw.toUpperCase().replace(/[^A-Z]/g, '');
  return letters.length === 8 ? `${letters.slice(0, 4)}-${letters.slice(4)}` : '';
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readForm(req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    oauthError(res, 415, 'invalid_request', 'send application/x-www-form-urlencoded');
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      oauthError(res, 413, 'invalid_request', 'the form is too large');
      return undefined;
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function redirect(res: ServerResponse, target: string, params: Record<string, string>): void {
  const url = new URL(target);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  res.writeHead(303, { location: url.toString(), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' }).end(JSON.stringify(body));
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description });
}

function errorPage(res: ServerResponse, status: number, title: string, text: string): void {
  sendPage(res, status, title, `<p role="alert">${escapeHtml(text)}</p>`);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.5rem}ul{list-style:none;padding:0}li{margin:.5rem 0}
button{font:inherit;width:100%;text-align:left;padding:.75rem 1rem;border:1px solid #555;border-radius:.375rem;background:#f4f4f4;color:#1a1a1a;cursor:pointer}
button:hover,button:focus-visible{background:#e2e8f0;outline:3px solid #1d4ed8;outline-offset:2px}
.who{font-weight:600}.what{display:block;color:#404040;font-size:.9rem}.cancel{width:auto;margin-top:1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}input{font:inherit;padding:.5rem;border:1px solid #555;border-radius:.25rem;margin-bottom:1rem}`;
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

function sendPage(res: ServerResponse, status: number, title: string, body: string, formTarget?: string): void {
  // Chromium applies form-action to the redirect that follows a form post, so the client's origin is allowed too.
  const formAction = ["'self'", ...(formTarget ? [formTarget] : [])].join(' ');
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Kairos</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`);
}

function identityChooser(identities: readonly SignInIdentity[], action: string, hidden: Record<string, string>): string {
  const fields = Object.entries(hidden)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  const items = identities
    .map(
      (i) => `<li><button type="submit" name="sub" value="${escapeHtml(i.sub)}"><span class="who">${escapeHtml(i.name)} (${escapeHtml(i.sub)})</span>
<span class="what">${escapeHtml(i.description ?? i.roles.join(', '))}</span></button></li>`,
    )
    .join('\n');
  return `<p>This is the embedded demo issuer: choose who you are. In production, Kairos signs you in with your organisation's identity provider.</p>
<form method="post" action="${escapeHtml(action)}">${fields}
<ul aria-label="Demo identities">
${items}
</ul>
<button class="cancel" type="submit" name="action" value="cancel">Cancel</button>
</form>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
