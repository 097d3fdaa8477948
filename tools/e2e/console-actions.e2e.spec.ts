import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, openScreen, seriousViolations, signInOnConsole, statusMessage } from './browser';
import { poll, startHarness, type Harness } from './platform-harness';

// Code passed to page.evaluate runs in the browser, whose globals the Node typings do not know.
declare const window: any, navigator: any;

/**
 * The console's actions that the seed walk (console-scenarios) does not take, in Debian's Chromium
 * against the platform as `npm start` runs it: short-lived credentials shown once and used to log
 * into the target database, extend, cancel, deny, a failed fulfilment ticket, a rejected
 * break-glass, the admin's resource editor refusing a bad target (the catalogue's rule), a tier
 * saved, connectors probed, and the auditor's "who had access at a time". Each step is checked
 * against the services' own answers. The tests run in order: each builds on the one before.
 */
jest.setTimeout(180_000);

describe('console actions', () => {
  let h: Harness;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let admin: string;
  const pages: Record<string, Page> = {};
  const ids: { access?: string; cancel?: string; deny?: string; ticket?: string; glass?: string } = {};

  beforeAll(async () => {
    h = await startHarness();
    const launched = await launchBrowser();
    browser = launched.browser;
    closeBrowser = launched.close;
    admin = await h.token('e2e-admin', ['admin', 'auditor']);
  }, 300_000);

  afterAll(async () => {
    for (const page of Object.values(pages)) await page.context().close().catch(() => undefined);
    await closeBrowser?.();
    await h?.stop();
  }, 120_000);

  const detail = async (id: string) => (await h.call('request-service', admin, 'GET', `/v1/access-requests/${id}`)).body;
  const itemOf = async (id: string, resourceId: string, role?: string) =>
    ((await detail(id)).items as { resourceId: string; role: string; [k: string]: any }[]).find((i) => i.resourceId === resourceId && (!role || i.role === role))!;

  async function signIn(who: string): Promise<Page> {
    if (pages[who]) return pages[who]!;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    pages[who] = page;
    await signInOnConsole(page, h.urls.console, who);
    return page;
  }

  const go = (page: Page, route: string, heading: string) => openScreen(page, h.urls.console, route, heading);

  /** No serious or critical axe-core violation on the screen as it is now. */
  const accessible = async (page: Page) => expect(await seriousViolations(page)).toEqual([]);

  const statusText = statusMessage;

  const itemStatus = (card: Locator, item: string, status: string) => card.locator(`[data-item="${item}"] [data-testid="item-status"]`, { hasText: new RegExp(`^${status}$`) });

  /** Alice asks for the given roles from the catalogue; returns the new request's id. */
  async function ask(page: Page, checkboxes: string[], justification: string): Promise<string> {
    await go(page, 'requests', 'My access');
    await page.getByRole('table', { name: /Resources you can see/ }).waitFor();
    for (const name of checkboxes) await page.getByRole('checkbox', { name, exact: true }).check();
    await page.getByLabel('Justification').fill(justification);
    await page.getByRole('button', { name: 'Submit request' }).click();
    const id = /Request (\S+) submitted/.exec(await statusText(page, new RegExp(`submitted`)))?.[1];
    expect(id).toBeTruthy();
    return id!;
  }

  it('alice is shown the short-lived credentials of her grant once, logs into the target database with them, and they are kept in no browser storage', async () => {
    const page = await signIn('alice');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(h.urls.console).origin });
    ids.access = await ask(page, ['readonly of Orders database (read only, short-lived login)', 'readonly of Orders database (read only)'], 'OPS-9: check the order totals');
    const card = page.locator(`[data-request-id="${ids.access}"]`);
    await itemStatus(card, 'orders-db-login/readonly', 'active').waitFor({ timeout: 90_000 });
    await itemStatus(card, 'orders-db/readonly', 'active').waitFor({ timeout: 90_000 });
    // Only the resource that issues credentials offers them.
    expect(await card.getByRole('button', { name: /^Show credentials/ }).count()).toBe(1);
    await card.getByRole('button', { name: 'Show credentials of Orders database (read only, short-lived login) readonly' }).click();
    const panel = page.getByRole('region', { name: 'Credentials of Orders database (read only, short-lived login) readonly' });
    await panel.waitFor();
    expect(await panel.getByRole('note').textContent()).toContain('Shown once');
    const login = (await panel.getByTestId('credentials-login').textContent())!;
    const password = (await panel.getByTestId('credentials-password').textContent())!;
    const host = (await panel.getByTestId('credentials-host').textContent())!;
    const port = Number(await panel.getByTestId('credentials-port').textContent());
    const database = (await panel.getByTestId('credentials-database').textContent())!;
    expect(password.length).toBeGreaterThanOrEqual(20);
    await accessible(page);

    // The copy button puts exactly the password on the clipboard.
    await panel.getByRole('button', { name: 'Copy password' }).click();
    await statusText(page, /^password copied$/);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(password);

    // What the console showed logs into the target database and reads what the role grants.
    const db = new Client({ host, port, database, user: login, password });
    await db.connect();
    try {
      const rows = await db.query('SELECT customer FROM orders ORDER BY id');
      expect(rows.rows.map((r: { customer: string }) => r.customer)).toEqual(['ACME', 'Globex']);
    } finally {
      await db.end();
    }

    // Never written to the browser's storage.
    const stored = (await page.evaluate(() => JSON.stringify({ local: { ...window.localStorage }, session: { ...window.sessionStorage } }))) as string;
    expect(stored).not.toContain(password);

    // Hidden, it is gone: asking again answers that it was delivered, without the password.
    await panel.getByRole('button', { name: /^Hide credentials/ }).click();
    await panel.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(password);
    await card.getByRole('button', { name: 'Show credentials of Orders database (read only, short-lived login) readonly' }).click();
    const again = page.getByRole('region', { name: 'Credentials of Orders database (read only, short-lived login) readonly' });
    expect(await again.getByRole('note').textContent()).toMatch(/already delivered and is not shown again \(fingerprint sha256:[0-9a-f]{16}\)/);
    expect(await again.getByTestId('credentials-password').count()).toBe(0);
    expect(await page.content()).not.toContain(password);
  });

  it("alice extends her orders database access by 4 hours (tier 0: no approval), and its expiry moves", async () => {
    const page = pages.alice!;
    const before = Date.parse((await itemOf(ids.access!, 'orders-db')).expiresAt);
    const row = page.locator(`[data-request-id="${ids.access}"] [data-item="orders-db/readonly"]`);
    await row.getByLabel(/^Extend by/).selectOption('PT4H');
    await row.getByRole('button', { name: 'Extend Orders database (read only) readonly' }).click();
    await statusText(page, /Extension of Orders database \(read only\) readonly asked/);
    const after = await poll('the orders database extended', async () => {
      const expiresAt = Date.parse((await itemOf(ids.access!, 'orders-db')).expiresAt);
      return expiresAt > before ? expiresAt : undefined;
    });
    expect(after - before).toBe(4 * 3_600_000);
  });

  it('alice cancels a request still waiting for approval', async () => {
    const page = pages.alice!;
    ids.cancel = await ask(page, ['viewer of Billing dashboard'], 'FIN-1: asked by mistake');
    const card = page.locator(`[data-request-id="${ids.cancel}"]`);
    await itemStatus(card, 'billing-dashboard/viewer', 'awaiting approval').waitFor({ timeout: 60_000 });
    await card.getByRole('button', { name: 'Cancel request FIN-1: asked by mistake' }).click();
    await statusText(page, new RegExp(`Request ${ids.cancel} cancelled`));
    await poll('the request cancelled', async () => ((await itemOf(ids.cancel!, 'billing-dashboard')).status === 'cancelled' ? true : undefined));
    await itemStatus(card, 'billing-dashboard/viewer', 'cancelled').waitFor({ timeout: 60_000 });
    // Nothing left for maria to decide.
    const maria = await signIn('maria');
    await go(maria, 'inbox', 'Approvals');
    await maria.getByRole('heading', { level: 2 }).first().waitFor();
    expect(await maria.getByRole('article').filter({ hasText: 'FIN-1: asked by mistake' }).count()).toBe(0);
  });

  it('maria denies a request with a comment, and alice sees it denied with the reason', async () => {
    const alice = pages.alice!;
    ids.deny = await ask(alice, ['admin of Billing dashboard'], 'FIN-2: I would like admin');
    const maria = pages.maria!;
    await go(maria, 'inbox', 'Approvals');
    const review = maria.getByRole('article').filter({ hasText: 'FIN-2: I would like admin' });
    await review.waitFor({ timeout: 60_000 });
    await review.getByLabel(/^Comment/).fill('viewer is enough for this');
    await review.getByRole('button', { name: /^Deny/ }).click();
    expect(await statusText(maria, /Denied/)).toContain('Alice Engineer: Billing dashboard admin');
    await poll('the item denied', async () => ((await itemOf(ids.deny!, 'billing-dashboard')).status === 'denied' ? true : undefined));
    const card = alice.locator(`[data-request-id="${ids.deny}"]`);
    await itemStatus(card, 'billing-dashboard/admin', 'denied').waitFor({ timeout: 60_000 });
    expect(await card.locator('[data-item="billing-dashboard/admin"]').textContent()).toContain('viewer is enough for this');
  });

  it('maria approves a dashboard request and fails its fulfilment ticket with a comment; the item ends failed', async () => {
    const alice = pages.alice!;
    ids.ticket = await ask(alice, ['viewer of Billing dashboard'], 'FIN-3: month-end close');
    const maria = pages.maria!;
    await go(maria, 'inbox', 'Approvals');
    const review = maria.getByRole('article').filter({ hasText: 'FIN-3: month-end close' });
    await review.waitFor({ timeout: 60_000 });
    await review.getByRole('button', { name: /^Approve/ }).click();
    await statusText(maria, /Approved/);
    await go(maria, 'tickets', 'Tickets');
    const ticket = maria.getByRole('article').filter({ hasText: 'FIN-3: month-end close' });
    await ticket.waitFor({ timeout: 60_000 });
    await ticket.getByLabel(/^Comment for the evidence/).fill('the billing console has no seat left');
    await accessible(maria);
    await ticket.getByRole('button', { name: /^Fail/ }).click();
    await statusText(maria, /Ticket failed/);
    const failed = await poll('the ticket failed by maria', async () => {
      const res = await h.call('provisioning-connector', admin, 'GET', '/v1/tickets?status=failed');
      return (res.body.tickets as { requestId: string; resolvedBy: string; comment: string }[]).find((t) => t.requestId === ids.ticket);
    });
    expect(failed).toMatchObject({ resolvedBy: 'maria', comment: 'the billing console has no seat left' });
    await poll('the item failed', async () => ((await itemOf(ids.ticket!, 'billing-dashboard')).status === 'failed' ? true : undefined), 90_000);
  });

  it('dave breaks glass and bob rejects it: the access is revoked', async () => {
    const dave = await signIn('dave');
    await go(dave, 'requests', 'My access');
    await dave.getByRole('checkbox', { name: 'operator of Payments API operator', exact: true }).check();
    await dave.getByLabel('Justification').fill('SEV2: looked urgent');
    await dave.getByRole('checkbox', { name: 'Break glass (emergency)' }).check();
    await dave.getByRole('button', { name: 'Break glass now' }).click();
    ids.glass = /Request (\S+) submitted/.exec(await statusText(dave, /submitted/))?.[1];
    expect(ids.glass).toBeTruthy();
    const bob = await signIn('bob');
    await go(bob, 'inbox', 'Approvals');
    const review = bob.getByRole('article').filter({ hasText: 'SEV2: looked urgent' });
    await review.waitFor({ timeout: 60_000 });
    await review.getByLabel(/^Comment/).fill('not an emergency: use the normal request');
    await review.getByRole('button', { name: /^Reject/ }).click();
    expect(await statusText(bob, /Rejected/)).toContain('Dave Developer: Payments API operator operator');
    const item = await poll('the break-glass rejected', async () => {
      const i = await itemOf(ids.glass!, 'payments-api');
      return i.revocationReason ? i : undefined;
    }, 90_000);
    expect(item.revocationReason).toBe('break_glass_rejected');
  });

  it("the admin's resource editor refuses a target its connector cannot act on, naming the field, then saves a good one", async () => {
    const page = await signIn('admin');
    await go(page, 'admin/resources', 'Administration');
    await page.getByRole('table', { name: /^Resources/ }).getByRole('row', { name: /Billing dashboard/ }).waitFor();
    await page.getByRole('button', { name: 'New resource' }).click();
    const form = page.getByRole('form', { name: 'New resource' });
    await form.getByLabel('Id', { exact: true }).fill('reports-db');
    await form.getByLabel('Name', { exact: true }).fill('Reports database');
    await form.getByLabel('Connector').selectOption('postgres');
    await form.getByLabel('Target').fill('pg_read_server_files');
    // The editor says so as it is typed (the catalogue's own rule)…
    expect(await form.getByText(/refusing unsafe target role name/).count()).toBe(1);
    await form.getByLabel(/^Owners/).fill('bob');
    await form.getByLabel(/^Roles/).fill('reader');
    await accessible(page);
    // …and the service refuses it when saved, naming the field.
    await form.getByRole('button', { name: 'Save resource' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toMatch(/target: not a postgres target .*refusing unsafe target role name "pg_read_server_files"/);
    expect((await h.call('approval-policy-service', admin, 'GET', '/v1/resources/reports-db')).status).toBe(404);

    await form.getByLabel('Target').fill('orders_readonly?mode=credentials');
    await form.getByRole('button', { name: 'Save resource' }).click();
    await page.getByRole('table', { name: /^Resources/ }).getByRole('row', { name: /Reports database/ }).waitFor({ timeout: 30_000 });
    const saved = await h.call('approval-policy-service', admin, 'GET', '/v1/resources/reports-db');
    expect(saved.body).toMatchObject({ connector: 'postgres', target: 'orders_readonly?mode=credentials', owners: ['bob'], allowedRoles: ['reader'] });
  });

  it('the admin saves a tier and probes the connectors', async () => {
    const page = pages.admin!;
    await page.getByRole('link', { name: 'Tiers' }).click();
    const tier = page.getByRole('form', { name: 'Tier 1' });
    await tier.waitFor();
    await tier.getByText('Edit tier 1 settings').click();
    const box = tier.getByLabel('Settings of tier 1 (JSON)');
    const settings = JSON.parse(await box.inputValue()) as Record<string, unknown>;
    await box.fill(JSON.stringify({ ...settings, defaultDuration: 'PT3H' }, null, 2));
    await tier.getByRole('button', { name: 'Save tier 1' }).click();
    await statusText(page, /Tier 1 saved/);
    const tiers = await h.call('approval-policy-service', admin, 'GET', '/v1/tiers');
    expect((tiers.body.items as { tier: number; settings: { defaultDuration: string } }[]).find((t) => t.tier === 1)?.settings.defaultDuration).toBe('PT3H');

    await page.getByRole('link', { name: 'Connectors' }).click();
    const health = page.getByRole('table', { name: 'Connector health' });
    await health.getByRole('row', { name: /postgres/ }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Probe now' }).click();
    await statusText(page, /Connectors probed/);
    expect(await health.getByRole('row', { name: /postgres/ }).textContent()).toContain('healthy');
  });

  it('the auditor asks who had access to the orders database at a time, and finds alice', async () => {
    const granted = Date.parse((await itemOf(ids.access!, 'orders-db')).grantedAt);
    // The form takes minutes: wait until the minute after the grant has begun.
    await poll('a minute boundary after the grant', async () => (Math.floor(Date.now() / 60_000) * 60_000 > granted ? true : undefined), 120_000);
    const page = await signIn('audrey');
    await go(page, 'audit', 'Audit');
    await page.getByLabel('Resource id', { exact: true }).fill('orders-db');
    await page.getByRole('button', { name: 'Who had access' }).click();
    await statusText(page, /grant\(s\) of orders-db/);
    const table = page.getByRole('table', { name: /^Access to orders-db at/ });
    await table.waitFor();
    expect(await table.getByRole('row', { name: /alice \(person\)/ }).count()).toBe(1);
    await accessible(page);
  });
  it('short-lived credentials not yet fetched survive a restart of the connector (npm start keeps the sealing key in the data folder)', async () => {
    const alice = await h.token('alice', ['requester']);
    const created = await h.call('request-service', alice, 'POST', '/v1/access-requests', { items: [{ resourceId: 'orders-db-login', role: 'readonly' }], justification: 'OPS-10: after the restart' });
    expect(created.status).toBe(201);
    const item = await poll('the short-lived login granted', async () => {
      const i = await itemOf(created.body.requestId, 'orders-db-login');
      return i.status === 'active' && i.grantId ? i : undefined;
    }, 90_000);
    await h.crash('provisioning-connector');
    // Fetched with the real `kairos credentials` after the restart, and used to log in as it says.
    const urls = JSON.stringify({ requests: h.urls['request-service'], policy: h.urls['approval-policy-service'], provisioning: h.urls['provisioning-connector'], audit: h.urls['audit-projector'] });
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [join(__dirname, '..', '..', 'apps', 'cli', 'bin', 'kairos.js'), ...args], { env: { PATH: process.env.PATH ?? '', KAIROS_URLS: urls, KAIROS_TOKEN: alice }, timeout: 60_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    const shown = await poll('the credentials answered after the restart', async () => {
      const run = await cli(['credentials', item.grantId]);
      return run.code === 0 ? run.stdout : undefined;
    });
    const password = /^password (\S+)$/m.exec(shown)?.[1];
    expect(password).toBeDefined();
    const connect = /^connect psql -h (\S+) -p (\d+) -U (\S+) (\S+)$/m.exec(shown);
    expect(connect).not.toBeNull();
    const db = new Client({ host: connect![1], port: Number(connect![2]), user: connect![3], database: connect![4], password });
    await db.connect();
    try {
      expect((await db.query('SELECT current_user AS who')).rows[0].who).toBe(connect![3]);
    } finally {
      await db.end();
    }
    const again = await cli(['credentials', item.grantId]);
    expect(again.stdout).toContain('the password was already delivered');
    expect(again.stdout).not.toContain(password);
  });
});
