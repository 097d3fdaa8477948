import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { axe, launchBrowser } from './browser';
import { startHarness, type Harness } from './platform-harness';

// Code passed to page.evaluate runs in the browser, whose globals the Node typings do not know.
declare const window: any, document: any, sessionStorage: any;

const SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'screenshots');

/**
 * The web console as `npm start` serves it, driven in Debian's Chromium: a person signs in on the
 * embedded issuer's page (authorization code + PKCE), lands back in the console with the roles of
 * the identity chosen, and every screen passes axe-core under the console's strict CSP.
 */
describe('the web console in a browser', () => {
  let h: Harness;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    const launched = await launchBrowser();
    browser = launched.browser;
    closeBrowser = launched.close;
  }, 300_000);

  afterAll(async () => {
    await closeBrowser?.();
    await h?.stop();
  }, 120_000);

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) cspViolations.push(msg.text());
    });
    return page;
  }

  /** Waits for the signed-in header; on failure says what the page shows instead. */
  async function signedIn(page: Page): Promise<void> {
    try {
      await page.getByTestId('signed-in-as').waitFor({ timeout: 20_000 });
    } catch (error) {
      throw new Error(`not signed in at ${page.url()}: ${String(await page.evaluate('document.body.innerText'))} (${(error as Error).message.split('\n')[0]})`);
    }
  }

  /**
   * Opens the console once it has rendered a screen: it reads /config.json first, showing a
   * "Loading…" frame (with its own #main and skip link) that the screen then replaces, so waiting
   * for #main alone let a keypress land on an element about to go.
   */
  async function open(page: Page): Promise<void> {
    await page.goto(h.urls.console);
    await page.locator('#main h1').first().waitFor();
  }

  async function signIn(page: Page, who: string): Promise<string[]> {
    const urls: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && urls.push(frame.url()));
    await open(page);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/authorize\?/);
    await page.getByRole('button', { name: new RegExp(`\\(${who}\\)`) }).click();
    await signedIn(page);
    return urls;
  }

  it('signs alice in through the issuer page (code + PKCE): she sees the requester area only, and the token never appears in a URL', async () => {
    const page = await newPage();
    const tokens: string[] = [];
    page.on('response', async (res) => {
      if (res.url().endsWith('/token') && res.request().method() === 'POST') tokens.push(((await res.json()) as { access_token: string }).access_token);
    });
    await open(page);
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-sign-in.png') });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/authorize\?/);
    expect(page.url()).toMatch(/code_challenge_method=S256/);
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'issuer-sign-in-page.png') });
    const visited: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && visited.push(frame.url()));
    await page.getByRole('button', { name: /\(alice\)/ }).click();
    await signedIn(page);
    expect(await page.getByTestId('signed-in-as').textContent()).toBe('Alice Engineer');
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['My access']);
    // The code came back in the URL and left it at once; the token was never in any URL.
    expect(page.url()).toBe(h.urls.console);
    expect(tokens).toHaveLength(1);
    for (const url of visited) expect(url).not.toContain(tokens[0]!);
    expect(await page.evaluate(() => window.location.search)).toBe('');
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-home-alice.png') });
    await page.context().close();
  });

  it('signs maria in as requester and approver, and audrey as auditor; each sees their own areas', async () => {
    const maria = await newPage();
    await signIn(maria, 'maria');
    expect(await maria.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['My access', 'Approvals', 'Tickets']);
    await maria.getByRole('link', { name: 'Approvals' }).first().click();
    expect(await maria.getByRole('heading', { level: 1 }).textContent()).toBe('Approvals');
    expect(await axe(maria)).toEqual([]);
    await maria.context().close();
    const audrey = await newPage();
    await signIn(audrey, 'audrey');
    expect(await audrey.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Audit']);
    await audrey.context().close();
  });

  it('works from the keyboard alone: skip link, sign-in, navigation and sign-out', async () => {
    const page = await newPage();
    await open(page);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Sign in');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/authorize\?/);
    await page.getByRole('button', { name: /\(admin\)/ }).focus();
    await page.keyboard.press('Enter');
    await signedIn(page);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['My access', 'Approvals', 'Tickets', 'Administration', 'Audit']);
    await page.getByRole('button', { name: 'Sign out' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('kairos.session'))).toBeNull();
    await page.context().close();
  });

  it('calls the APIs with the signed-in token across origins (CORS answers the console, and only it)', async () => {
    const page = await newPage();
    await signIn(page, 'admin');
    const apiUrl = h.urls['approval-policy-service'];
    const fromConsole = await page.evaluate(async (url) => {
      const session = JSON.parse(sessionStorage.getItem('kairos.session') ?? '{}') as { accessToken: string };
      const res = await fetch(`${url}/health/live`, { headers: { authorization: `Bearer ${session.accessToken}` } });
      return res.status;
    }, apiUrl);
    expect(fromConsole).toBe(200);
    const preflight = await fetch(`${apiUrl}/v1/resources`, { method: 'OPTIONS', headers: { origin: 'http://evil.test', 'access-control-request-method': 'GET' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    await page.context().close();
  });

  it('serves the console with a strict Content-Security-Policy and breaks none of it', async () => {
    const res = await fetch(h.urls.console);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const config = await (await fetch(`${h.urls.console}config.json`)).json();
    expect(config).toMatchObject({ issuer: h.urls.issuer, clientId: 'kairos-console' });
    expect(cspViolations).toEqual([]);
  });
});
