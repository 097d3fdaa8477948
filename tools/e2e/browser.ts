import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// Code passed to page.evaluate runs in the browser, whose globals the Node typings do not know.
declare const window: any, document: any;

/** Debian's Chromium, headless, with a fresh profile: what the browser tests drive. */
export const CHROMIUM = process.env.KAIROS_CHROMIUM ?? '/usr/bin/chromium';

export interface TestBrowser {
  readonly browser: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<{ browser: Browser; profile: string; close(): Promise<void> }> {
  // launch() gives Chromium a fresh user-data-dir of its own (a new temporary profile every time);
  // downloads go to a scratch folder of ours.
  const profile = mkdtempSync(join(tmpdir(), 'kairos-chromium-'));
  const browser = await chromium.launch({
    downloadsPath: profile,
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    browser,
    profile,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: { target: string[] }[];
}

/**
 * Runs axe-core (WCAG 2 A/AA rules) in the page. It is added through the DevTools protocol, not a
 * <script> tag, so the page's Content-Security-Policy stays as strict as it is for people.
 */
export async function axe(page: Page): Promise<AxeViolation[]> {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}

/** Signs `who` in on the console at `consoleUrl` through the local issuer's sign-in page. */
export async function signInOnConsole(page: Page, consoleUrl: string, who: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/authorize\?/);
  await page.getByRole('button', { name: new RegExp(`\\(${who}\\)`) }).click();
  await page.getByTestId('signed-in-as').waitFor({ timeout: 20_000 });
}

/** Opens a console route and waits for its main heading. */
export async function openScreen(page: Page, consoleUrl: string, route: string, heading: string): Promise<void> {
  await page.goto(`${consoleUrl}#/${route}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** The serious and critical axe-core violations on the screen as it is now (a test expects none). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  return (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** The text of the first status message matching `pattern`, once one shows. */
export async function statusMessage(page: Page, pattern: RegExp): Promise<string> {
  const status = page.getByRole('status').filter({ hasText: pattern }).first();
  await status.waitFor({ timeout: 30_000 });
  return (await status.textContent()) ?? '';
}
