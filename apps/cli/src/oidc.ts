import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError, EXIT } from './exit-codes';

/**
 * The CLI's OIDC sign-in against whichever provider the platform's issuer URL names (discovery):
 * the device authorization grant (RFC 8628, the default: works over SSH and in containers) and the
 * authorization code with PKCE on a loopback redirect (RFC 8252, `--browser`). Tokens only ever
 * come in the token endpoint's response body; nothing here prints or logs them.
 */
export interface Discovery {
  readonly issuer?: string;
  readonly authorization_endpoint?: string;
  readonly token_endpoint?: string;
  readonly device_authorization_endpoint?: string;
  readonly scopes_supported?: readonly string[];
}

export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  readonly expiresIn?: number;
}

/** What the sign-in tells the person: where to go, and the code to type (device) or the URL (browser). */
export type Notify = (line: string) => void;

const TIMEOUT_MS = 15_000;

export async function discover(issuer: string): Promise<Discovery & { token_endpoint: string }> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new CliError(`the identity provider at ${issuer} is unreachable (${(error as Error).message}); is the platform running?`, EXIT.unavailable);
  }
  if (!res.ok) throw new CliError(`the identity provider at ${issuer} did not answer discovery (HTTP ${res.status})`, EXIT.unavailable);
  const doc = (await res.json()) as Discovery;
  if (!doc.token_endpoint) throw new CliError(`the identity provider at ${issuer} publishes no token endpoint`, EXIT.unavailable);
  return doc as Discovery & { token_endpoint: string };
}

/** The scopes to ask for: `offline_access` too where the provider offers it, so the sign-in can be refreshed. */
function scopes(doc: Discovery): string {
  return ['openid', 'profile', ...(doc.scopes_supported?.includes('offline_access') ? ['offline_access'] : [])].join(' ');
}

async function postForm(url: string, body: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(body).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new CliError(`the identity provider is unreachable (${(error as Error).message})`, EXIT.unavailable);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { error: 'invalid_response', error_description: `HTTP ${res.status}, not JSON` } };
  }
}

function tokenSet(body: Record<string, unknown>): TokenSet {
  if (typeof body.access_token !== 'string' || !body.access_token) throw new CliError('the identity provider answered without an access token', EXIT.failed);
  if (typeof body.token_type === 'string' && body.token_type.toLowerCase() !== 'bearer') throw new CliError(`the identity provider answered a ${body.token_type} token; only Bearer is supported`, EXIT.failed);
  return {
    accessToken: body.access_token,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    ...(typeof body.id_token === 'string' ? { idToken: body.id_token } : {}),
    ...(typeof body.expires_in === 'number' ? { expiresIn: body.expires_in } : {}),
  };
}

const oauthText = (body: Record<string, unknown>) => `${String(body.error ?? 'error')}${body.error_description ? `: ${String(body.error_description)}` : ''}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- device authorization grant (RFC 8628) ---------------------------------------------------

export async function deviceSignIn(doc: Discovery & { token_endpoint: string }, clientId: string, notify: Notify, timeoutMs?: number): Promise<TokenSet> {
  if (!doc.device_authorization_endpoint) {
    throw new CliError('this identity provider offers no device sign-in: use `kairos login --browser` (or --token)', EXIT.usage);
  }
  const started = await postForm(doc.device_authorization_endpoint, { client_id: clientId, scope: scopes(doc) });
  if (started.status !== 200) throw new CliError(`the identity provider refused the device sign-in (${oauthText(started.body)})`, started.status === 401 ? EXIT.refused : EXIT.failed);
  const { device_code: deviceCode, user_code: userCode, verification_uri: uri, verification_uri_complete: complete } = started.body as Record<string, string | undefined>;
  if (!deviceCode || !userCode || !uri) throw new CliError('the identity provider answered the device sign-in without a code', EXIT.failed);
  const expiresIn = typeof started.body.expires_in === 'number' ? started.body.expires_in : 600;
  let interval = (typeof started.body.interval === 'number' ? started.body.interval : 5) * 1000;
  notify(`To sign in, open ${uri} and enter the code ${userCode}`);
  if (complete) notify(`  (or open ${complete})`);
  notify('Waiting for you to sign in…');
  const deadline = Date.now() + Math.min(expiresIn * 1000, timeoutMs ?? Infinity);
  for (;;) {
    await sleep(interval);
    if (Date.now() > deadline) throw new CliError('the sign-in was not completed in time: run `kairos login` again', EXIT.timedOut);
    const polled = await postForm(doc.token_endpoint, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: clientId });
    if (polled.status === 200) return tokenSet(polled.body);
    switch (polled.body.error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        interval += 5000;
        continue;
      case 'access_denied':
        throw new CliError('the sign-in was refused in the browser', EXIT.refused);
      case 'expired_token':
        throw new CliError('the sign-in code expired: run `kairos login` again', EXIT.timedOut);
      default:
        throw new CliError(`the sign-in failed (${oauthText(polled.body)})`, EXIT.failed);
    }
  }
}

// ---- authorization code + PKCE on a loopback redirect (RFC 8252) -----------------------------

export interface BrowserSignInOptions {
  readonly notify: Notify;
  /** Opens a URL in the person's browser; false when none could be started. */
  readonly open?: (url: string) => Promise<boolean>;
  readonly timeoutMs?: number;
}

export async function browserSignIn(doc: Discovery & { token_endpoint: string }, clientId: string, options: BrowserSignInOptions): Promise<TokenSet> {
  if (!doc.authorization_endpoint) throw new CliError('this identity provider offers no browser sign-in: use `kairos login` (device) or --token', EXIT.usage);
  const verifier = randomBytes(48).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(24).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const loopback = await listenLoopback(state);
  try {
    const redirectUri = `http://127.0.0.1:${loopback.port}/callback`;
    const url = new URL(doc.authorization_endpoint);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: scopes(doc),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      nonce,
    }))
      url.searchParams.set(k, v);
    const opened = await (options.open ?? openBrowser)(url.toString());
    options.notify(opened ? `Your browser has been opened to sign in. If it did not open, go to:\n  ${url.toString()}` : `No browser could be opened. To sign in, open this address in a browser on this machine:\n  ${url.toString()}`);
    options.notify('Waiting for you to sign in…');
    const answer = await loopback.answer(options.timeoutMs ?? 300_000);
    if (answer.error) throw new CliError(answer.error === 'access_denied' ? 'the sign-in was refused in the browser' : `the sign-in failed (${answer.error}${answer.description ? `: ${answer.description}` : ''})`, EXIT.refused);
    const exchanged = await postForm(doc.token_endpoint, { grant_type: 'authorization_code', code: answer.code!, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier });
    if (exchanged.status !== 200) throw new CliError(`the identity provider refused the code (${oauthText(exchanged.body)})`, EXIT.refused);
    return tokenSet(exchanged.body);
  } finally {
    loopback.close();
  }
}

interface LoopbackAnswer {
  readonly code?: string;
  readonly error?: string;
  readonly description?: string;
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · Kairos</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;

/**
 * A one-shot HTTP listener on 127.0.0.1 for the redirect back from the provider. Only an answer
 * carrying this sign-in's `state` counts: anything else (another page's forged callback, a stale
 * tab) is refused and the wait goes on.
 */
async function listenLoopback(state: string): Promise<{ port: number; answer(timeoutMs: number): Promise<LoopbackAnswer>; close(): void }> {
  let settle: (answer: LoopbackAnswer) => void = () => undefined;
  const answered = new Promise<LoopbackAnswer>((resolve) => (settle = resolve));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'content-security-policy': "default-src 'none'" };
    if (req.method !== 'GET' || url.pathname !== '/callback') return void res.writeHead(404, headers).end(PAGE('Not found', 'Nothing here.'));
    if (url.searchParams.get('state') !== state) {
      return void res.writeHead(400, headers).end(PAGE('Sign-in not recognised', 'This answer does not belong to the sign-in your terminal started. Nothing was done.'));
    }
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    if (!error && !code) return void res.writeHead(400, headers).end(PAGE('Sign-in not recognised', 'The answer has no code.'));
    res.writeHead(200, headers).end(error ? PAGE('Sign-in refused', 'Your terminal was not signed in. You can close this page.') : PAGE('Signed in', 'Your terminal is signed in. You can close this page.'));
    settle(error ? { error, description: url.searchParams.get('error_description') ?? undefined } : { code: code! });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    answer: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CliError('the sign-in was not completed in time: run `kairos login --browser` again', EXIT.timedOut)), timeoutMs);
      });
      try {
        return await Promise.race([answered, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** `$BROWSER`, else the desktop's opener (xdg-open, open, start); false when none starts. */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const [command, args] = env.BROWSER
    ? [env.BROWSER, [url]]
    : process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

// ---- refresh -----------------------------------------------------------------------------------

export async function refresh(tokenEndpoint: string, clientId: string, refreshToken: string): Promise<TokenSet> {
  const answer = await postForm(tokenEndpoint, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
  if (answer.status !== 200) throw new CliError(`your sign-in has expired and could not be refreshed (${oauthText(answer.body)}): run \`kairos login\` again`, EXIT.unauthenticated);
  return tokenSet(answer.body);
}
