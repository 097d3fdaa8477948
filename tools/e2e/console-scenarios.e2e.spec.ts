import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, openScreen, seriousViolations, signInOnConsole, statusMessage } from './browser';
import { poll, startHarness, type Harness } from './platform-harness';

const SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'screenshots');

/**
 * The seed scenarios walked through the console as people do it, in Debian's Chromium against the
 * platform as `npm start` runs it: alice asks for two resources at once, maria approves the one that
 * needs her with a shorter duration and fulfils its ticket with a comment, dave breaks glass and bob
 * ratifies it, the admin asks on someone's behalf, and the auditor downloads the evidence and a
 * summary. Every step is checked against the services' own answers, and every main screen against
 * axe-core. The tests run in order: each builds on the one before.
 */
// Each walk waits for events to travel through Kafka and the services on a shared 2-core machine.
jest.setTimeout(180_000);

describe('the seed scenarios through the console', () => {
  let h: Harness;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let admin: string;
  const pages: Page[] = [];
  const ids: { alice?: string; dave?: string; behalf?: string } = {};
  const idempotencyKeys: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    const launched = await launchBrowser();
    browser = launched.browser;
    closeBrowser = launched.close;
    admin = await h.token('e2e-admin', ['admin', 'auditor']);
  }, 300_000);

  afterAll(async () => {
    for (const page of pages) await page.context().close().catch(() => undefined);
    await closeBrowser?.();
    await h?.stop();
  }, 120_000);

  const detail = async (id: string) => (await h.call('request-service', admin, 'GET', `/v1/access-requests/${id}`)).body;
  const itemOf = async (id: string, resourceId: string) => ((await detail(id)).items as { resourceId: string; [k: string]: any }[]).find((i) => i.resourceId === resourceId)!;

  async function signIn(who: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    pages.push(page);
    page.on('request', (req) => {
      if (req.method() === 'POST' && req.url().endsWith('/v1/access-requests')) idempotencyKeys.push(req.headers()['idempotency-key'] ?? '');
    });
    await signInOnConsole(page, h.urls.console, who);
    return page;
  }

  const go = (page: Page, route: string, heading: string) => openScreen(page, h.urls.console, route, heading);

  /** No serious or critical axe-core violation on the screen as it is now. */
  const accessible = async (page: Page) => expect(await seriousViolations(page)).toEqual([]);

  const statusText = statusMessage;

  async function alertFree(page: Page): Promise<void> {
    expect(await page.getByRole('alert').allTextContents()).toEqual([]);
  }

  const itemStatus = (card: Locator, item: string, status: string) => card.locator(`[data-item="${item}"] [data-testid="item-status"]`, { hasText: new RegExp(`^${status}$`) });

  it('alice asks for two resources at once (one needs no approval, one needs maria) with a justification, a ticket and a preset duration', async () => {
    const page = await signIn('alice');
    await go(page, 'requests', 'My access');
    const catalogue = page.getByRole('table', { name: /Resources you can see/ });
    await catalogue.waitFor();
    // The catalogue tells her who decides before she asks.
    expect(await catalogue.getByRole('row', { name: /Billing dashboard/ }).textContent()).toContain('approval by Maria Manager');
    expect(await catalogue.getByRole('row', { name: /Orders database \(read only\) orders-db / }).textContent()).toContain('no approval needed');
    await page.getByRole('checkbox', { name: 'readonly of Orders database (read only)', exact: true }).check();
    await page.getByRole('checkbox', { name: 'viewer of Billing dashboard', exact: true }).check();
    const limits = await page.getByTestId('request-limits').textContent();
    expect(limits).toContain('Maximum duration: 7 days');
    expect(limits).toContain('Approval needed for Billing dashboard (approval by Maria Manager)');
    await page.getByLabel('Justification').fill('INC-5001: reconcile the March invoices');
    await page.getByLabel('Ticket reference (optional)').fill('FIN-42');
    await page.getByRole('combobox', { name: /^Duration/ }).selectOption('P1D');
    await accessible(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-request-form.png'), fullPage: true });
    await page.getByRole('button', { name: 'Submit request' }).click();
    const submitted = await statusText(page, /submitted/);
    ids.alice = /Request (\S+) submitted/.exec(submitted)?.[1];
    expect(ids.alice).toBeTruthy();
    // One request, two items, the typed client's Idempotency-Key on the POST.
    expect(idempotencyKeys.filter(Boolean)).toHaveLength(1);
    const saved = await detail(ids.alice!);
    expect(saved).toMatchObject({ justification: 'INC-5001: reconcile the March invoices', ticket: 'FIN-42', duration: 'P1D', requestedBy: 'alice' });
    expect(saved.items.map((i: { resourceId: string; role: string }) => `${i.resourceId}/${i.role}`).sort()).toEqual(['billing-dashboard/viewer', 'orders-db/readonly']);
    // My requests: per-item status, the orders database active at once, the dashboard waiting for maria.
    const card = page.locator(`[data-request-id="${ids.alice}"]`);
    await itemStatus(card, 'orders-db/readonly', 'active').waitFor({ timeout: 60_000 });
    await itemStatus(card, 'billing-dashboard/viewer', 'awaiting approval').waitFor({ timeout: 60_000 });
    expect(await card.locator('[data-item="billing-dashboard/viewer"]').textContent()).toMatch(/waiting: step 1 .*asked: Maria Manager/);
    expect(await card.locator('[data-item="orders-db/readonly"]').textContent()).toMatch(/ends in (23|24) h/);
    await alertFree(page);
    await accessible(page);
    await page.locator('#mine-heading').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-my-requests.png'), fullPage: true });
  });

  it("maria approves alice's dashboard access from her inbox, shortened to 4 hours, with a comment", async () => {
    const page = await signIn('maria');
    await go(page, 'inbox', 'Approvals');
    const review = page.getByRole('article').filter({ hasText: 'Alice Engineer asks for Billing dashboard (viewer)' });
    await review.waitFor({ timeout: 60_000 });
    // The context to decide: why, the ticket, the tier, the duration asked.
    const text = (await review.textContent()) ?? '';
    for (const fact of ['INC-5001: reconcile the March invoices', 'ticket FIN-42', 'tier 1', '1 day']) expect(text).toContain(fact);
    await review.getByLabel(/^Shorten to/).selectOption('PT4H');
    await review.getByLabel(/^Comment/).fill('four hours is enough for the reconciliation');
    await accessible(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-approvals.png'), fullPage: true });
    await review.getByRole('button', { name: /^Approve/ }).click();
    expect(await statusText(page, /Approved/)).toContain('for 4 hours');
    await poll('the dashboard item approved for 4 hours', async () => {
      const item = await itemOf(ids.alice!, 'billing-dashboard');
      return item.approval && item.duration === 'PT4H' ? item : undefined;
    });
    await review.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('maria, the dashboard owner, completes its manual fulfilment ticket with a comment, and alice sees her access with its countdown', async () => {
    const page = pages[1]!;
    await go(page, 'tickets', 'Tickets');
    const ticket = page.getByRole('article').filter({ hasText: 'Grant viewer on billing-dashboard for alice' });
    await ticket.waitFor({ timeout: 60_000 });
    expect(await ticket.textContent()).toContain('INC-5001: reconcile the March invoices');
    await ticket.getByLabel(/^Comment for the evidence/).fill('added alice to the billing console viewers');
    await accessible(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-tickets.png'), fullPage: true });
    await ticket.getByRole('button', { name: /^Complete/ }).click();
    await statusText(page, /Ticket completed/);
    const tickets = await poll('the ticket resolved by maria', async () => {
      const res = await h.call('provisioning-connector', admin, 'GET', '/v1/tickets?status=completed');
      return (res.body.tickets as { requestId: string; resolvedBy: string; comment: string }[]).find((t) => t.requestId === ids.alice);
    });
    expect(tickets).toMatchObject({ resolvedBy: 'maria', comment: 'added alice to the billing console viewers' });
    const alice = pages[0]!;
    const card = alice.locator(`[data-request-id="${ids.alice}"]`);
    await itemStatus(card, 'billing-dashboard/viewer', 'active').waitFor({ timeout: 60_000 });
    expect(await card.locator('[data-item="billing-dashboard/viewer"]').textContent()).toMatch(/approved \(reviews\).*ends in 3 h 5\d min/);
  });

  it('alice releases the orders database early from her list', async () => {
    const alice = pages[0]!;
    await alice.getByRole('button', { name: 'Release Orders database (read only) readonly' }).click();
    await statusText(alice, /released/);
    const released = await poll('the orders database released', async () => {
      const item = await itemOf(ids.alice!, 'orders-db');
      return item.revocationReason ? item : undefined;
    });
    expect(released.revocationReason).toBe('released');
    await alice.locator(`[data-request-id="${ids.alice}"] [data-item="orders-db/readonly"] [data-testid="item-status"]`, { hasText: /^(revoking|expired|revoked)$/ }).waitFor({ timeout: 60_000 });
  });

  it('dave breaks glass on the payments API (the warning shown first) and bob, its owner, ratifies it', async () => {
    const page = await signIn('dave');
    await go(page, 'requests', 'My access');
    await page.getByRole('checkbox', { name: 'operator of Payments API operator', exact: true }).check();
    await page.getByLabel('Justification').fill('SEV1: payouts stuck');
    await page.getByRole('checkbox', { name: 'Break glass (emergency)' }).check();
    expect(await page.getByRole('note').filter({ hasText: 'Break-glass grants access at once' }).count()).toBe(1);
    await accessible(page);
    await page.getByRole('button', { name: 'Break glass now' }).click();
    ids.dave = /Request (\S+) submitted/.exec(await statusText(page, /submitted/))?.[1];
    expect((await detail(ids.dave!)).breakGlass).toBe(true);

    const bob = await signIn('bob');
    await go(bob, 'inbox', 'Approvals');
    const review = bob.getByRole('article').filter({ hasText: 'Ratify break-glass: Dave Developer asks for Payments API operator (operator)' });
    await review.waitFor({ timeout: 60_000 });
    expect(await review.getByRole('note').textContent()).toContain('granted at once, without approval');
    await accessible(bob);
    await bob.screenshot({ path: join(SCREENSHOTS, 'console-ratify-break-glass.png'), fullPage: true });
    await review.getByLabel(/^Comment/).fill('confirmed SEV1 in the incident channel');
    await review.getByRole('button', { name: /^Ratify/ }).click();
    expect(await statusText(bob, /Ratified/)).toContain('Dave Developer: Payments API operator operator');
    await poll('the break-glass ratified by bob', async () => ((await itemOf(ids.dave!, 'payments-api')).breakGlass?.ratifiedBy === 'bob' ? true : undefined));
  });

  it('the admin asks for the orders database on behalf of dave, and sees the directory, the resources and the connectors', async () => {
    const page = await signIn('admin');
    await go(page, 'admin/resources', 'Administration');
    const resources = page.getByRole('table', { name: /^Resources/ });
    await resources.getByRole('row', { name: /Billing dashboard/ }).waitFor();
    expect(await resources.getByRole('row', { name: /Billing dashboard/ }).textContent()).toContain('manual: billing-console');
    await accessible(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-admin-resources.png'), fullPage: true });
    await page.getByRole('link', { name: 'Directory' }).click();
    await page.getByRole('table', { name: 'People' }).getByRole('row', { name: /alice/ }).waitFor();
    expect(await page.getByRole('table', { name: 'Service accounts' }).textContent()).toContain('ci-bot');
    await accessible(page);
    await page.getByRole('link', { name: 'Connectors' }).click();
    await page.getByRole('table', { name: 'Connector health' }).getByRole('row', { name: /postgres/ }).waitFor({ timeout: 30_000 });
    await accessible(page);

    await page.getByRole('link', { name: 'Request on behalf' }).click();
    await page.getByLabel('For (identity id)').fill('dave');
    await page.getByRole('checkbox', { name: 'readonly of Orders database (read only)', exact: true }).check();
    await page.getByLabel('Justification').fill('OPS-77: dave is on call tonight');
    await accessible(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-admin-on-behalf.png'), fullPage: true });
    await page.getByRole('button', { name: 'Submit request' }).click();
    ids.behalf = /Request (\S+) submitted for dave/.exec(await statusText(page, /submitted/))?.[1];
    const saved = await detail(ids.behalf!);
    expect(saved).toMatchObject({ requester: { id: 'dave', kind: 'person' }, requestedBy: 'admin', onBehalf: true });

    // And takes it away again: revoke, with a reason for the evidence.
    await page.getByRole('link', { name: 'Revoke' }).click();
    await page.getByLabel('Reason for revoking (recorded in the evidence)').fill('on-call shift swapped');
    const revoke = page.getByRole('button', { name: 'Revoke orders-db readonly of dave' });
    await revoke.waitFor({ timeout: 60_000 });
    await accessible(page);
    await revoke.click();
    await statusText(page, /Revoked orders-db readonly/);
    const revoked = await poll('dave\'s on-behalf access revoked', async () => {
      const item = await itemOf(ids.behalf!, 'orders-db');
      return item.revocationReason ? item : undefined;
    });
    expect(revoked.revocationReason).toBe('revoked_by_admin');
  });

  it('the auditor reads a timeline and downloads the evidence (CSV) and a summary per resource (JSON) whose contents name what happened', async () => {
    const page = await signIn('audrey');
    await go(page, 'audit', 'Audit');
    await page.getByRole('table', { name: 'Access held now' }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Request id').fill(ids.alice!);
    await page.getByRole('button', { name: 'Show timeline' }).click();
    const timeline = page.getByRole('list', { name: `Timeline of request ${ids.alice}` });
    await timeline.waitFor();
    expect(await timeline.getByRole('listitem').count()).toBeGreaterThanOrEqual(4);
    await accessible(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-audit.png'), fullPage: true });

    // The evidence, as CSV: alice's two items, maria's approval, bob's ratification, the on-behalf request.
    await poll("the audit trail has maria's approval", async () => {
      const res = await h.call('audit-projector', admin, 'GET', `/v1/audit/requests/${ids.alice}/timeline`);
      return res.status === 200 && JSON.stringify(res.body).includes('maria') ? true : undefined;
    });
    await page.getByRole('combobox', { name: /^Format/ }).selectOption('csv');
    const [evidence] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download evidence' }).click()]);
    expect(evidence.suggestedFilename()).toMatch(/^kairos-evidence-.*\.csv$/);
    const csv = readFileSync((await evidence.path())!, 'utf8').trim().split('\n');
    const header = csv[0]!.split(',');
    expect(header.slice(0, 3)).toEqual(['request_id', 'item_id', 'requester_id']);
    const col = (row: string, name: string) => row.split(',')[header.indexOf(name)];
    const dashboard = csv.find((row) => row.startsWith(`${ids.alice},`) && col(row, 'resource_id') === 'billing-dashboard');
    expect(dashboard).toBeDefined();
    expect(col(dashboard!, 'approvers')).toMatch(/^maria:approve:/);
    expect(csv.some((row) => row.startsWith(`${ids.alice},`) && col(row, 'resource_id') === 'orders-db' && col(row, 'approved_via') === 'automatic')).toBe(true);
    expect(csv.some((row) => row.startsWith(`${ids.dave},`) && col(row, 'break_glass_ratified_by') === 'bob')).toBe(true);
    expect(csv.some((row) => row.startsWith(`${ids.behalf},`) && col(row, 'requester_id') === 'dave' && col(row, 'requested_by') === 'admin')).toBe(true);

    // A summary per resource, as JSON: the dashboard granted once, to alice.
    await page.getByRole('combobox', { name: /^Format/ }).selectOption('json');
    await page.getByRole('combobox', { name: /^Summary per/ }).selectOption('resources');
    const [summary] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download summary' }).click()]);
    expect(summary.suggestedFilename()).toMatch(/^kairos-summary-resources-.*\.json$/);
    const body = JSON.parse(readFileSync((await summary.path())!, 'utf8')) as { kind: string; resources: { resourceId: string; grants: number }[]; rows: { resourceId: string; subject: { id: string } }[] };
    expect(body.kind).toBe('resources');
    expect(body.resources.find((r) => r.resourceId === 'billing-dashboard')?.grants).toBe(1);
    expect(body.rows.filter((r) => r.resourceId === 'billing-dashboard').map((r) => r.subject.id)).toEqual(['alice']);
    await alertFree(page);
  });
});
