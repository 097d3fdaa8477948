import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { generateIssuerKey, signToken, startLocalIssuer, type IssuerKey, type RunningIssuer } from '@kairos/auth';

const BIN = join(__dirname, '..', 'bin', 'kairos.js');

interface Running {
  /** Resolves when stderr has printed something matching. */
  readonly waitFor: (pattern: RegExp) => Promise<RegExpExecArray>;
  readonly done: Promise<{ code: number; stdout: string; stderr: string }>;
}

// Each command starts a real process, and the device flow polls every 5 s: generous on 2 cores.
jest.setTimeout(180_000);

/**
 * `kairos login` as people run it: the real binary doing a real OIDC sign-in with the embedded
 * issuer (the one `npm start` runs), whose sign-in pages the test drives over HTTP as a browser
 * would: the device flow, and the loopback redirect with PKCE. The token lands in the CLI's config
 * file, readable by its owner only, and is renewed (or a clear message given) when it expires.
 */
describe('kairos login (OIDC device and browser sign-in against the local issuer)', () => {
  let key: IssuerKey;
  let issuer: RunningIssuer;
  let home: string;
  let scratch: string;

  beforeAll(async () => {
    key = await generateIssuerKey();
    issuer = await startLocalIssuer(key, {
      audience: 'kairos',
      signIn: {
        identities: [
          { sub: 'alice', name: 'Alice Engineer', roles: ['requester'] },
          { sub: 'maria', name: 'Maria Manager', roles: ['requester', 'approver'] },
        ],
        clients: [{ clientId: 'kairos-cli', redirectUris: ['http://127.0.0.1/callback', 'http://localhost/callback'] }],
      },
    });
    scratch = mkdtempSync(join(tmpdir(), 'kairos-cli-login-'));
  });

  beforeEach(() => {
    home = mkdtempSync(join(scratch, 'home-'));
  });

  afterAll(async () => {
    await issuer?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  function kairos(args: string[], env: Record<string, string> = {}): Running {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', KAIROS_HOME: home, KAIROS_URLS: JSON.stringify({ issuer: issuer.issuer }), BROWSER: '/nonexistent/browser', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
    const check = () => {
      for (const w of [...waiters]) {
        const m = w.pattern.exec(stderr);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    };
    child.stdout.on('data', (c: Buffer) => void (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      check();
    });
    const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr })));
    return {
      waitFor: (pattern) =>
        new Promise((resolve, reject) => {
          waiters.push({ pattern, resolve });
          check();
          void done.then(() => reject(new Error(`the CLI ended before printing ${pattern}: ${stdout}${stderr}`)));
        }),
      done,
    };
  }

  const form = (body: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
    redirect: 'manual' as const,
  });
  const saved = () => JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as Record<string, string>;
  const modeOf = (file: string) => statSync(file).mode & 0o777;

  async function verified(token: string) {
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUrl)), { issuer: issuer.issuer, audience: 'kairos' });
    return payload;
  }

  it('device flow: prints the verification URL and a code, waits while the person signs in on the issuer page, and keeps the token 0600', async () => {
    const cli = kairos(['login']);
    const [, uri, code] = await cli.waitFor(/open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})/);
    expect(uri).toBe(`${issuer.issuer}/device`);
    // The person opens the page in a browser, types the code and picks who they are.
    const page = await fetch(`${uri}?user_code=${code}`);
    expect(await page.text()).toContain(code);
    const chooser = await fetch(uri!, form({ user_code: code!.toLowerCase() }));
    expect(await chooser.text()).toContain('Alice Engineer');
    const signed = await fetch(uri!, form({ user_code: code!, sub: 'alice' }));
    expect(await signed.text()).toContain('Your terminal is signed in as <strong>Alice Engineer</strong>');

    const run = await cli.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^signed in as alice until \d{4}-/);
    const file = join(home, 'credentials.json');
    expect(modeOf(file)).toBe(0o600);
    const creds = saved();
    expect(creds).toMatchObject({ subject: 'alice', via: 'oidc', issuer: issuer.issuer, clientId: 'kairos-cli', tokenEndpoint: `${issuer.issuer}/token` });
    // A real token of that issuer, for alice, that the services would accept; never printed.
    expect(await verified(creds.token!)).toMatchObject({ sub: 'alice', roles: ['requester'] });
    expect(run.stdout + run.stderr).not.toContain(creds.token);
    const who = await kairos(['whoami', '--output', 'json']).done;
    expect(JSON.parse(who.stdout)).toMatchObject({ subject: 'alice', roles: ['requester'], issuer: issuer.issuer });
  });

  it('device flow with --output json: the instructions go to stderr, stdout is exactly one JSON result', async () => {
    const cli = kairos(['login', '--output', 'json']);
    const [, uri, code] = await cli.waitFor(/open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})/);
    await fetch(uri!, form({ user_code: code!, sub: 'maria' }));
    const run = await cli.done;
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ subject: 'maria', roles: ['requester', 'approver'], via: 'oidc', refreshable: false });
  });

  it('device flow refused in the browser: exit code 3 and nothing saved', async () => {
    const cli = kairos(['login']);
    const [, uri, code] = await cli.waitFor(/open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})/);
    await fetch(uri!, form({ user_code: code!, sub: 'alice', action: 'cancel' }));
    const run = await cli.done;
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('the sign-in was refused in the browser');
    expect(() => statSync(join(home, 'credentials.json'))).toThrow();
  });

  it('--browser without a browser: prints the sign-in URL (PKCE S256), takes the loopback redirect, and refuses a forged callback (attack: login CSRF / code injection)', async () => {
    const cli = kairos(['login', '--browser']);
    const [, address] = await cli.waitFor(/No browser could be opened\. .*\n\s+(\S+)/);
    const url = new URL(address!);
    expect(`${url.origin}${url.pathname}`).toBe(`${issuer.issuer}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ response_type: 'code', client_id: 'kairos-cli', code_challenge_method: 'S256' });
    const redirectUri = new URL(url.searchParams.get('redirect_uri')!);
    expect(redirectUri.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // An attacker's page sends the terminal a code of its own: wrong state, refused, nothing exchanged.
    const forged = await fetch(`${redirectUri.origin}/callback?code=attacker-code&state=guessed`);
    expect(forged.status).toBe(400);

    const page = await (await fetch(url)).text();
    const tx = /name="tx" value="([^"]+)"/.exec(page)?.[1];
    const chosen = await fetch(`${issuer.issuer}/authorize`, form({ tx: tx!, sub: 'maria' }));
    expect(chosen.status).toBe(303);
    const back = new URL(chosen.headers.get('location')!);
    expect(back.origin).toBe(redirectUri.origin);
    const landing = await fetch(back);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('Your terminal is signed in');

    const run = await cli.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('signed in as maria');
    expect(modeOf(join(home, 'credentials.json'))).toBe(0o600);
    expect(await verified(saved().token!)).toMatchObject({ sub: 'maria' });
  });

  it('--browser opens the sign-in page with $BROWSER, and the person signs in there', async () => {
    // A stand-in for the person's browser: it opens the URL it is given and picks alice.
    const browser = join(scratch, 'browser.js');
    writeFileSync(
      browser,
      `#!${process.execPath}
const url = process.argv[2];
(async () => {
  const page = await (await fetch(url)).text();
  const tx = /name="tx" value="([^"]+)"/.exec(page)[1];
  const chosen = await fetch(new URL('/authorize', url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ tx, sub: 'alice' }).toString(), redirect: 'manual' });
  await fetch(chosen.headers.get('location'));
})();
`,
    );
    chmodSync(browser, 0o755);
    const run = await kairos(['login', '--browser'], { BROWSER: browser }).done;
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Your browser has been opened to sign in');
    expect(run.stdout).toContain('signed in as alice');
    expect(await verified(saved().token!)).toMatchObject({ sub: 'alice' });
  });

  it('a sign-in that has expired and cannot be renewed: a clear message to sign in again (exit 4)', async () => {
    const token = await signToken(key, { sub: 'alice', roles: ['requester'], issuer: issuer.issuer, audience: 'kairos', ttlSeconds: 3600 });
    writeFileSync(join(home, 'credentials.json'), JSON.stringify({ token, subject: 'alice', expiresAt: '2020-01-01T00:00:00.000Z', via: 'oidc' }), { mode: 0o600 });
    const run = await kairos(['whoami']).done;
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('your sign-in expired at 2020-01-01T00:00:00.000Z: run `kairos login` again');
    expect(run.stderr).not.toContain(token);
  });

  describe('renewal with a refresh token', () => {
    // A stand-in for a third-party OIDC provider's token endpoint (the embedded issuer gives no
    // refresh tokens): it answers the refresh grant as RFC 6749 §6 says, rotating the refresh token.
    let provider: Server;
    let providerUrl: string;
    const seen: URLSearchParams[] = [];
    let answer: 'ok' | 'refused' = 'ok';

    beforeAll(async () => {
      provider = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => void (body += c.toString()));
        req.on('end', () => {
          const params = new URLSearchParams(body);
          seen.push(params);
          if (answer === 'refused' || params.get('refresh_token') !== 'refresh-1') {
            return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant', error_description: 'the refresh token was revoked' }));
          }
          void signToken(key, { sub: 'alice', roles: ['requester', 'approver'], issuer: issuer.issuer, audience: 'kairos', ttlSeconds: 600 }).then((token) =>
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 600, refresh_token: 'refresh-2' })),
          );
        });
      });
      await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
      providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/token`;
    });
    afterAll(() => new Promise<void>((resolve) => provider.close(() => resolve())));

    const expired = async () => {
      const token = await signToken(key, { sub: 'alice', roles: ['requester'], issuer: issuer.issuer, audience: 'kairos', ttlSeconds: 3600 });
      writeFileSync(
        join(home, 'credentials.json'),
        JSON.stringify({ token, subject: 'alice', expiresAt: new Date(Date.now() - 1000).toISOString(), via: 'oidc', clientId: 'kairos-cli', tokenEndpoint: providerUrl, refreshToken: 'refresh-1' }),
        { mode: 0o644 },
      );
    };

    it('renews an expired token with the refresh token before calling, and keeps the rotated one 0600', async () => {
      await expired();
      const run = await kairos(['whoami', '--output', 'json']).done;
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ subject: 'alice', roles: ['requester', 'approver'] });
      expect(Object.fromEntries(seen.at(-1)!)).toEqual({ grant_type: 'refresh_token', refresh_token: 'refresh-1', client_id: 'kairos-cli' });
      expect(saved()).toMatchObject({ refreshToken: 'refresh-2', subject: 'alice' });
      expect(Date.parse(saved().expiresAt!)).toBeGreaterThan(Date.now());
      expect(modeOf(join(home, 'credentials.json'))).toBe(0o600);
      expect(run.stdout + run.stderr).not.toMatch(/refresh-[12]/);
    });

    it('says to sign in again when the provider refuses the renewal (exit 4)', async () => {
      await expired();
      answer = 'refused';
      const run = await kairos(['whoami']).done;
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('your sign-in has expired and could not be refreshed (invalid_grant: the refresh token was revoked): run `kairos login` again');
    });
  });
});
