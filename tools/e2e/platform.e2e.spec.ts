import { Client } from 'pg';
import { poll, startHarness, type Harness } from './platform-harness';

/**
 * The seed scenarios of the field, driven only through the public APIs of the running platform
 * (every service and server its own process). Durations are seconds instead of hours so the
 * clocks can be watched running out.
 */
describe('the whole platform', () => {
  let h: Harness;
  let admin: string;
  let auditor: string;
  const tokens: Record<string, string> = {};

  const request = async (who: string, body: Record<string, unknown>) => h.call('request-service', tokens[who]!, 'POST', '/v1/access-requests', body);
  const read = async (who: string, id: string) => (await h.call('request-service', tokens[who]!, 'GET', `/v1/access-requests/${id}`)).body;
  const itemStatus = async (who: string, id: string, itemId = 'i1') => (await read(who, id)).items?.find((i: { itemId: string }) => i.itemId === itemId)?.status;
  const untilItem = (who: string, id: string, status: string, itemId = 'i1', timeoutMs = 60_000) =>
    poll(`item ${itemId} of ${id} ${status}`, async () => (await itemStatus(who, id, itemId)) === status, timeoutMs);
  const review = (who: string, id: string, body: Record<string, unknown>) => h.call('approval-policy-service', tokens[who]!, 'POST', `/v1/access-requests/${id}/reviews`, body);
  // An approver acts on what their inbox shows; the policy service learns of a request from Kafka.
  const inInbox = (who: string, id: string) =>
    until(`${id} in ${who}'s inbox`, async () => JSON.stringify((await h.call('approval-policy-service', tokens[who]!, 'GET', '/v1/reviews?assignee=me')).body).includes(id));
  const until = (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) => poll(what, async () => (await check()) || undefined, timeoutMs);
  const membersOf = async (role: string, who: string) => (await h.targetRoleMembers(role)).filter((m) => m.startsWith(`kairos_${who}_`));
  const timelineTypes = async (id: string) => {
    const res = await h.call('audit-projector', auditor, 'GET', `/v1/audit/requests/${id}/timeline`);
    const entries = (Array.isArray(res.body) ? res.body : res.body?.events ?? res.body?.timeline ?? []) as { type: string }[];
    return entries.map((e) => e.type);
  };

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.token('admin', ['admin']);
    auditor = await h.token('audrey', ['auditor']);
    tokens.admin = admin;
    for (const person of ['alice', 'dave', 'bob', 'erin', 'frank']) tokens[person] = await h.token(person, ['requester']);
    tokens.maria = await h.token('maria', ['requester', 'approver']);
    tokens.bob = await h.token('bob', ['requester', 'approver']);
    const resources = [
      { id: 'e2e-reports-db', name: 'Reports database', connector: 'postgres', target: 'orders_readonly', owners: ['bob'], allowedRoles: ['readonly'], tier: 1 },
      {
        id: 'e2e-clock-db',
        name: 'Two clocks database',
        connector: 'postgres',
        target: 'orders_admin',
        owners: ['bob'],
        allowedRoles: ['admin'],
        tier: 1,
        settings: { approvalValidity: 'PT40S' },
      },
      {
        id: 'e2e-breakglass-db',
        name: 'Break-glass database',
        connector: 'postgres',
        target: 'pii_reader',
        owners: ['bob'],
        allowedRoles: ['reader'],
        tier: 2,
        breakGlassAllowed: true,
        settings: { breakGlass: { allowed: true, ratifyWithin: 'PT5S' } },
      },
    ];
    for (const resource of resources) {
      const created = await h.call('approval-policy-service', admin, 'POST', '/v1/resources', resource);
      expect([200, 201]).toContain(created.status);
    }
  }, 240_000);

  afterAll(async () => {
    await h?.stop();
  }, 120_000);

  it('1. grants incident access automatically, really, and really takes it away when the time is up', async () => {
    const res = await request('alice', { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'INC-4711: payments failing', duration: 'PT8S' });
    expect(res.status).toBe(201);
    const id = res.body.requestId as string;
    await untilItem('alice', id, 'active');
    expect(await membersOf('orders_readonly', 'alice')).toHaveLength(1);
    await untilItem('alice', id, 'expired');
    expect(await membersOf('orders_readonly', 'alice')).toHaveLength(0);
    await until('the audit timeline holds every step', async () => {
      const types = await timelineTypes(id);
      return ['AccessRequested', 'ItemApproved', 'GrantRequested', 'AccessGranted', 'AccessExpired', 'RevocationRequested', 'AccessRevoked'].every((t) => types.includes(t));
    });
  }, 120_000);

  it('1b. hands alice short-lived database credentials once: she logs in with them, and the database refuses them after expiry', async () => {
    const res = await request('alice', { items: [{ resourceId: 'orders-db-login', role: 'readonly' }], justification: 'INC-4712: read the orders', duration: 'PT10S' });
    expect(res.status).toBe(201);
    const id = res.body.requestId as string;
    await untilItem('alice', id, 'active');
    const grantId = (await read('alice', id)).items[0].grantId as string;
    // Nobody else gets them (not even an admin); alice gets them once.
    expect((await h.call('provisioning-connector', tokens.dave!, 'GET', `/v1/credentials/${encodeURIComponent(grantId)}`)).status).toBe(404);
    const first = await h.call('provisioning-connector', tokens.alice!, 'GET', `/v1/credentials/${encodeURIComponent(grantId)}`);
    expect(first.status).toBe(200);
    const { login, password, connection } = first.body as { login: string; password: string; connection: { host: string; port: number; database: string } };
    expect((await h.call('provisioning-connector', tokens.alice!, 'GET', `/v1/credentials/${encodeURIComponent(grantId)}`)).body.password).toBeNull();
    const url = `postgres://${encodeURIComponent(login)}:${encodeURIComponent(password)}@${connection.host}:${connection.port}/${connection.database}`;
    const session = new Client({ connectionString: url });
    await session.connect();
    try {
      expect((await session.query('SELECT current_user AS who, count(*)::int AS n FROM orders')).rows[0]).toEqual({ who: login, n: 2 });
    } finally {
      await session.end();
    }
    await untilItem('alice', id, 'expired');
    const late = new Client({ connectionString: url });
    await expect(late.connect()).rejects.toThrow(/password authentication failed|does not exist/);
    expect((await h.targetRoleMembers('orders_readonly')).filter((m) => m === login)).toEqual([]);
  }, 120_000);

  it('4. still needs a reason for automatic approval, and refuses a custom duration beyond the maximum', async () => {
    const noReason = await request('alice', { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: '', duration: 'PT1H' });
    expect(noReason.status).toBeGreaterThanOrEqual(400);
    expect(noReason.status).toBeLessThan(500);
    expect(noReason.headers.get('content-type')).toMatch(/problem\+json/);
    const tooLong = await request('alice', { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'a long job', duration: 'P8D' });
    expect(tooLong.status).toBe(422);
    expect(JSON.stringify(tooLong.body)).toMatch(/DURATION_OVER_MAXIMUM/);
    const mine = await h.call('request-service', tokens.alice!, 'GET', '/v1/access-requests?limit=200');
    expect(mine.body.items.every((r: { justification: string }) => r.justification !== '')).toBe(true);
  }, 120_000);

  it("2. carries several resources through a manager's approval, one through a manual fulfilment ticket", async () => {
    const res = await request('dave', {
      items: [
        { resourceId: 'e2e-reports-db', role: 'readonly' },
        { resourceId: 'billing-dashboard', role: 'viewer' },
      ],
      justification: 'Quarter-end reconciliation',
      duration: 'PT30M',
    });
    expect(res.status).toBe(201);
    const id = res.body.requestId as string;
    expect(res.body.items.map((i: { status: string }) => i.status)).toEqual(['awaiting_approval', 'awaiting_approval']);
    await inInbox('maria', id);
    for (const itemId of ['i1', 'i2']) expect((await review('maria', id, { itemId, decision: 'approve', comment: 'ok for quarter end' })).status).toBe(202);
    await untilItem('dave', id, 'active', 'i1');
    expect(await membersOf('orders_readonly', 'dave')).toHaveLength(1);
    const ticket = await poll('a fulfilment ticket for the dashboard', async () => {
      const tickets = await h.call('provisioning-connector', admin, 'GET', '/v1/tickets');
      const list = (Array.isArray(tickets.body) ? tickets.body : tickets.body.items ?? tickets.body.tickets ?? []) as { id: string; requestId: string; status?: string }[];
      return list.find((t) => t.requestId === id);
    });
    expect((await h.call('provisioning-connector', admin, 'POST', `/v1/tickets/${ticket.id}/complete`, { comment: 'added dave to the billing console' })).status).toBeLessThan(300);
    await untilItem('dave', id, 'active', 'i2');
  }, 120_000);

  it('3. re-grants without a human while the approval is valid, and asks a human again once it has expired', async () => {
    const ask = () => request('alice', { items: [{ resourceId: 'e2e-clock-db', role: 'admin' }], justification: 'schema migration', duration: 'PT4S' });
    const first = await ask();
    const firstId = first.body.requestId as string;
    expect(first.body.items[0].status).toBe('awaiting_approval');
    await inInbox('maria', firstId);
    expect((await review('maria', firstId, { itemId: 'i1', decision: 'approve' })).status).toBe(202);
    await untilItem('alice', firstId, 'active');
    await untilItem('alice', firstId, 'expired');
    const second = await ask();
    expect(second.status).toBe(201);
    expect(second.body.items[0].status).not.toBe('awaiting_approval');
    await untilItem('alice', second.body.requestId, 'active');
    // Wait for the approval's own clock, as recorded on the stream, not for a guess of it.
    const approvalExpiresAt = Date.parse((await read('alice', firstId)).items[0].approval.approvalExpiresAt);
    await new Promise((r) => setTimeout(r, Math.max(0, approvalExpiresAt + 1_000 - Date.now())));
    const third = await ask();
    expect(third.status).toBe(201);
    expect(third.body.items[0].status).toBe('awaiting_approval');
  }, 150_000);

  it('5. walks steps in sequence with an approver who shortens the duration', async () => {
    const res = await request('alice', { items: [{ resourceId: 'orders-db-admin', role: 'admin' }], justification: 'hotfix on orders', duration: 'PT2H' });
    expect(res.status).toBe(201);
    const id = res.body.requestId as string;
    await inInbox('maria', id);
    expect((await review('maria', id, { itemId: 'i1', decision: 'approve', shortenDurationTo: 'PT30M' })).status).toBe(202);
    await inInbox('bob', id);
    expect((await review('bob', id, { itemId: 'i1', decision: 'approve' })).status).toBe(202);
    await untilItem('alice', id, 'active');
    const item = (await read('alice', id)).items[0];
    expect(Date.parse(item.expiresAt) - Date.parse(item.grantedAt)).toBe(30 * 60 * 1000);
  }, 120_000);

  it('5. grants break-glass at once and revokes it when nobody ratifies in time', async () => {
    const res = await request('alice', { items: [{ resourceId: 'e2e-breakglass-db', role: 'reader' }], justification: 'SEV1: data corruption', duration: 'PT1H', breakGlass: true });
    expect(res.status).toBe(201);
    const id = res.body.requestId as string;
    await untilItem('alice', id, 'active');
    expect(await membersOf('pii_reader', 'alice')).toHaveLength(1);
    await untilItem('alice', id, 'revoked');
    expect(await membersOf('pii_reader', 'alice')).toHaveLength(0);
    const history = (await read('alice', id)).history as { type: string; data: { reason?: string } }[];
    expect(history.find((e) => e.type === 'RevocationRequested')?.data.reason).toBe('break_glass_not_ratified');
  }, 120_000);
});
