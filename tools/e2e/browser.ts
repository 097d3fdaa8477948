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
