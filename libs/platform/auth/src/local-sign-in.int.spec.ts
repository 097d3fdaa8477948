import { randomBytes } from 'node:crypto';
import { generateIssuerKey, pkceChallenge, startLocalIssuer, TokenVerifier, type RunningIssuer } from './index';

/**
 * The embedded issuer's sign-in over real HTTP: discovery, the sign-in page, the code exchange with
 * PKCE, the device flow, and the attacks each step refuses.
 */
describe('local issuer sign-in (OIDC authorization code + PKCE, device flow)', () => {
  let issuer: RunningIssuer;
  const consoleOrigin = 'http://console.test';
  const redirectUri = `${consoleOrigin}/`;
  const identities = [
    { sub: 'alice', name: 'Alice Engineer', roles: ['requester'] as const, description: 'asks for access' },
    { sub: 'maria', name: 'Maria Manager', roles: ['requester', 'approver'] as const },
  ];

  beforeAll(async () => {
    const key = await generateIssuerKey();
    issuer = await startLocalIssuer(key, {
      audience: 'kairos',
      corsOrigins: [consoleOrigin],
      signIn: {
        identities,
        clients: [
          { clientId: 'kairos-console', redirectUris: [redirectUri] },
          { clientId: 'kairos-cli', redirectUris: ['http://127.0.0.1/callback'] },
        ],
        codeTtlSeconds: 2,
      },
    });
  });
  afterAll(() => issuer.close());

  const json = (res: Response): Promise<any> => res.json();
  const verifier = () => randomBytes(48).toString('base64url');
  const form = (body: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
    redirect: 'manual' as const,
  });
  const authorizeUrl = (params: Record<string, string>) => `${issuer.issuer}/authorize?${new URLSearchParams(params).toString()}`;

  /** Opens the sign-in page, picks an identity, and returns the redirect back to the client. */
  async function signIn(sub: string, challenge: string, extra: Record<string, string> = {}, client = 'kairos-console', redirect = redirectUri): Promise<URL> {
    const page = await fetch(authorizeUrl({ response_type: 'code', client_id: client, redirect_uri: redirect, code_challenge: challenge, code_challenge_method: 'S256', state: 'st-1', scope: 'openid', ...extra }));
    expect(page.status).toBe(200);
    const html = await page.text();
    const tx = /name="tx" value="([^"]+)"/.exec(html)?.[1];
    expect(tx).toBeDefined();
    const chosen = await fetch(`${issuer.issuer}/authorize`, form({ tx: tx!, sub }));
    expect(chosen.status).toBe(303);
    return new URL(chosen.headers.get('location')!);
  }

  const exchange = (body: Record<string, string>) => fetch(`${issuer.issuer}/token`, form({ grant_type: 'authorization_code', client_id: 'kairos-console', redirect_uri: redirectUri, ...body }));

  it('publishes discovery with the authorization, token and device endpoints, S256 only', async () => {
    const doc = await json(await fetch(`${issuer.issuer}/.well-known/openid-configuration`));
    expect(doc).toMatchObject({
      issuer: issuer.issuer,
      authorization_endpoint: `${issuer.issuer}/authorize`,
      token_endpoint: `${issuer.issuer}/token`,
      device_authorization_endpoint: `${issuer.issuer}/device_authorization`,
      code_challenge_methods_supported: ['S256'],
      jwks_uri: issuer.jwksUrl,
    });
  });

  it('signs alice in with the code flow: the token verifies as alice with her roles, and nothing secret is in the redirect', async () => {
    const v = verifier();
    const back = await signIn('alice', pkceChallenge(v), { nonce: 'n-42' });
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe('st-1');
    expect(back.searchParams.get('iss')).toBe(issuer.issuer);
    expect([...back.searchParams.keys()].sort()).toEqual(['code', 'iss', 'state']);
    const res = await exchange({ code: back.searchParams.get('code')!, code_verifier: v });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await json(res);
    expect(body.token_type).toBe('Bearer');
    const principal = await new TokenVerifier({ issuer: issuer.issuer, audience: 'kairos', jwksUrl: issuer.jwksUrl }).verify(body.access_token);
    expect(principal).toMatchObject({ id: 'alice', roles: ['requester'], kind: 'person' });
    const idClaims = JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString());
    expect(idClaims).toMatchObject({ sub: 'alice', aud: 'kairos-console', nonce: 'n-42', name: 'Alice Engineer' });
  });

  it('refuses a stolen code redeemed without the PKCE verifier, or with the wrong one', async () => {
    const back = await signIn('maria', pkceChallenge(verifier()));
    const wrong = await exchange({ code: back.searchParams.get('code')!, code_verifier: verifier() });
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).error).toBe('invalid_grant');
    const back2 = await signIn('maria', pkceChallenge(verifier()));
    const none = await exchange({ code: back2.searchParams.get('code')! });
    expect(none.status).toBe(400);
    expect((await json(none)).error).toBe('invalid_request');
  });

  it('refuses a replayed code: a code works once, even after a failed attempt', async () => {
    const v = verifier();
    const back = await signIn('alice', pkceChallenge(v));
    const code = back.searchParams.get('code')!;
    expect((await exchange({ code, code_verifier: v })).status).toBe(200);
    const again = await exchange({ code, code_verifier: v });
    expect(again.status).toBe(400);
    expect((await json(again)).error).toBe('invalid_grant');
  });

  it('refuses an expired code', async () => {
    const v = verifier();
    const back = await signIn('alice', pkceChallenge(v));
    await new Promise((r) => setTimeout(r, 2_300));
    const res = await exchange({ code: back.searchParams.get('code')!, code_verifier: v });
    expect(res.status).toBe(400);
    expect((await json(res)).error_description).toMatch(/expired/);
  });

  it('refuses a code redeemed for another redirect URI or another client', async () => {
    const v = verifier();
    const back = await signIn('alice', pkceChallenge(v));
    const res = await exchange({ code: back.searchParams.get('code')!, code_verifier: v, redirect_uri: 'http://evil.test/' });
    expect(res.status).toBe(400);
    const v2 = verifier();
    const back2 = await signIn('alice', pkceChallenge(v2));
    const other = await exchange({ code: back2.searchParams.get('code')!, code_verifier: v2, client_id: 'kairos-cli' });
    expect(other.status).toBe(400);
  });

  it('refuses an open redirect: an unregistered redirect URI gets an error page, never a redirect', async () => {
    const res = await fetch(authorizeUrl({ response_type: 'code', client_id: 'kairos-console', redirect_uri: 'http://evil.test/', code_challenge: pkceChallenge(verifier()), code_challenge_method: 'S256' }), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const unknown = await fetch(authorizeUrl({ response_type: 'code', client_id: 'nobody', redirect_uri: redirectUri }), { redirect: 'manual' });
    expect(unknown.status).toBe(400);
  });

  it('refuses a sign-in without PKCE or with the plain method', async () => {
    for (const extra of [{}, { code_challenge: 'abc', code_challenge_method: 'plain' }] as Record<string, string>[]) {
      const res = await fetch(authorizeUrl({ response_type: 'code', client_id: 'kairos-console', redirect_uri: redirectUri, state: 's', ...extra }), { redirect: 'manual' });
      expect(res.status).toBe(303);
      const back = new URL(res.headers.get('location')!);
      expect(back.searchParams.get('error')).toBe('invalid_request');
      expect(back.searchParams.get('code')).toBeNull();
    }
  });

  it('refuses a replayed sign-in form (the transaction is single use) and an identity that is not offered', async () => {
    const page = await fetch(authorizeUrl({ response_type: 'code', client_id: 'kairos-console', redirect_uri: redirectUri, code_challenge: pkceChallenge(verifier()), code_challenge_method: 'S256' }));
    const tx = /name="tx" value="([^"]+)"/.exec(await page.text())![1];
    const forged = await fetch(`${issuer.issuer}/authorize`, form({ tx, sub: 'root' }));
    expect(forged.status).toBe(303);
    expect(new URL(forged.headers.get('location')!).searchParams.get('error')).toBe('access_denied');
    const replay = await fetch(`${issuer.issuer}/authorize`, form({ tx, sub: 'alice' }));
    expect(replay.status).toBe(400);
  });

  it('serves the sign-in page with a strict Content-Security-Policy, lists the demo identities and escapes them', async () => {
    const page = await fetch(authorizeUrl({ response_type: 'code', client_id: 'kairos-console', redirect_uri: redirectUri, code_challenge: pkceChallenge(verifier()), code_challenge_method: 'S256', state: '"><script>alert(1)</script>' }));
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-inline/);
    const html = await page.text();
    expect(html).toContain('Alice Engineer (alice)');
    expect(html).toContain('Maria Manager (maria)');
    expect(html).not.toContain('<script>');
  });

  it('answers CORS on the token endpoint only for the configured origins', async () => {
    const ok = await fetch(`${issuer.issuer}/token`, { method: 'OPTIONS', headers: { origin: consoleOrigin, 'access-control-request-method': 'POST' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(consoleOrigin);
    const evil = await fetch(`${issuer.issuer}/token`, { method: 'OPTIONS', headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a JSON or oversized token request with a clear 4xx', async () => {
    const asJson = await fetch(`${issuer.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(asJson.status).toBe(415);
    const big = await fetch(`${issuer.issuer}/token`, form({ grant_type: 'authorization_code', code: 'x'.repeat(40_000) }));
    expect(big.status).toBe(413);
    const grant = await fetch(`${issuer.issuer}/token`, form({ grant_type: 'password', username: 'alice', password: 'x' }));
    expect(grant.status).toBe(400);
    expect((await json(grant)).error).toBe('unsupported_grant_type');
  });

  describe('device flow (for the CLI)', () => {
    const poll = (deviceCode: string) => fetch(`${issuer.issuer}/token`, form({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: 'kairos-cli' }));

    it('signs a terminal in once the person enters the code and picks an identity; the device code then works once', async () => {
      const start = await json(await fetch(`${issuer.issuer}/device_authorization`, form({ client_id: 'kairos-cli', scope: 'openid' })));
      expect(start.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
      expect(start.verification_uri).toBe(`${issuer.issuer}/device`);
      const pending = await poll(start.device_code);
      expect((await json(pending)).error).toBe('authorization_pending');
      const tooFast = await poll(start.device_code);
      expect((await json(tooFast)).error).toBe('slow_down');
      const page = await fetch(`${issuer.issuer}/device`, form({ user_code: start.user_code.toLowerCase().replace('-', ' ') }));
      expect(await page.text()).toContain('Maria Manager (maria)');
      const approved = await fetch(`${issuer.issuer}/device`, form({ user_code: start.user_code, sub: 'maria' }));
      expect(await approved.text()).toContain('signed in as <strong>Maria Manager</strong>');
      const done = await poll(start.device_code);
      expect(done.status).toBe(200);
      const principal = await new TokenVerifier({ issuer: issuer.issuer, audience: 'kairos', jwksUrl: issuer.jwksUrl }).verify((await json(done)).access_token);
      expect(principal.id).toBe('maria');
      expect((await poll(start.device_code)).status).toBe(400);
    });

    it('refuses a guessed user code and a device code polled by another client', async () => {
      const start = await json(await fetch(`${issuer.issuer}/device_authorization`, form({ client_id: 'kairos-cli' })));
      const guessed = await fetch(`${issuer.issuer}/device`, form({ user_code: 'BBBB-BBBB', sub: 'alice' }));
      expect(guessed.status).toBe(400);
      const other = await fetch(`${issuer.issuer}/token`, form({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: start.device_code, client_id: 'kairos-console' }));
      expect((await json(other)).error).toBe('invalid_grant');
    });

    it('tells the terminal when the person refuses', async () => {
      const start = await json(await fetch(`${issuer.issuer}/device_authorization`, form({ client_id: 'kairos-cli' })));
      await fetch(`${issuer.issuer}/device`, form({ user_code: start.user_code, sub: 'alice', action: 'cancel' }));
      expect((await json(await poll(start.device_code))).error).toBe('access_denied');
    });
  });

  it('accepts the CLI loopback redirect on any port (RFC 8252), not another host or path', async () => {
    const v = verifier();
    const back = await signIn('alice', pkceChallenge(v), {}, 'kairos-cli', 'http://127.0.0.1:49152/callback');
    expect(back.host).toBe('127.0.0.1:49152');
    for (const bad of ['http://127.0.0.1:49152/other', 'http://evil.test:49152/callback']) {
      const res = await fetch(authorizeUrl({ response_type: 'code', client_id: 'kairos-cli', redirect_uri: bad, code_challenge: pkceChallenge(v), code_challenge_method: 'S256' }), { redirect: 'manual' });
      expect(res.status).toBe(400);
    }
  });
});
