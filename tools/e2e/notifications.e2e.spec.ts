import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { poll, startHarness, type Harness } from './platform-harness';

/**
 * Issue 13 end to end, through the platform exactly as `npm start` runs it: the notifier and the
 * local mail catcher are processes of the launcher; the mails are read from the catcher's /mails.
 * Slack is a third-party SaaS the tests cannot reach, so a local stand-in for its Web API answers
 * chat.postMessage (the launcher passes SLACK_API_URL, SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET on
 * to the notifier, as an operator's environment would); the click is signed as Slack signs it.
 */
const SLACK_TOKEN = 'xoxb-e2e-token';
const SLACK_SECRET = 'e2e-slack-signing-secret';

interface CaughtMail {
  readonly to: string[];
  readonly subject: string;
  readonly text: string;
  readonly kind: string;
}

describe('notifications through the running platform (npm start: notifier + mail catcher)', () => {
  let h: Harness;
  let slack: Server;
  const posts: any[] = [];

  const mailsTo = async (address: string): Promise<CaughtMail[]> => {
    const res = await fetch(`${h.urls['mail-catcher']}/mails?to=${encodeURIComponent(address)}`);
    return ((await res.json()) as { items: CaughtMail[] }).items;
  };
  const mailOf = (address: string, kind: string, requestId: string) =>
    poll(`the ${kind} mail to ${address}`, async () => (await mailsTo(address)).find((m) => m.kind === kind && m.text.includes(requestId)), 120_000);
  const click = (payload: unknown, secret = SLACK_SECRET) => {
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    return fetch(`${h.urls.notifier}/v1/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature },
      body,
    });
  };

  beforeAll(async () => {
    slack = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const ok = req.url === '/api/chat.postMessage' && req.headers.authorization === `Bearer ${SLACK_TOKEN}`;
        if (ok) posts.push(JSON.parse(raw));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { ok: true, ts: `${Date.now() / 1000}` } : { ok: false, error: 'invalid_auth' }));
      });
    });
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', () => resolve()));
    const slackUrl = `http://127.0.0.1:${(slack.address() as { port: number }).port}/api`;
    h = await startHarness({ SLACK_API_URL: slackUrl, SLACK_BOT_TOKEN: SLACK_TOKEN, SLACK_SIGNING_SECRET: SLACK_SECRET, SMTP_HOST: '' });
    const admin = await h.token('admin', ['admin']);
    const created = await h.call('approval-policy-service', admin, 'POST', '/v1/resources', {
      id: 'e2e-notify-db',
      name: 'Notifications database',
      connector: 'postgres',
      target: 'orders_readonly',
      owners: ['bob'],
      allowedRoles: ['readonly'],
      tier: 1,
    });
    expect([200, 201]).toContain(created.status);
    // An admin links maria's Slack user; she chooses email and Slack.
    const linked = await h.call('approval-policy-service', admin, 'PUT', '/v1/identities/maria/notification-settings', { slackUserId: 'UMARIA1', notify: ['email', 'slack'] });
    expect(linked.status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    await h?.stop();
    await new Promise<void>((resolve) => (slack ? slack.close(() => resolve()) : resolve()));
  }, 90_000);

  it('the launcher runs the notifier and the mail catcher, and its banner says where to read the mails', async () => {
    expect(h.launcherOutput()).toContain(`${h.urls['mail-catcher']}/`);
    expect((await fetch(`${h.urls.notifier}/health/ready`)).ok).toBe(true);
    const page = await fetch(`${h.urls['mail-catcher']}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it("mails the approver when a request needs them; a Slack click approves as that person; the requester is mailed when approved and when granted", async () => {
    const alice = await h.token('alice', ['requester']);
    const res = await h.call('request-service', alice, 'POST', '/v1/access-requests', {
      items: [{ resourceId: 'e2e-notify-db', role: 'readonly' }],
      justification: 'INC-1313: notifications',
      duration: 'PT1H',
    });
    expect({ status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({ status: 201, body: undefined });
    const id = res.body.requestId as string;

    const ask = await mailOf('maria@example.com', 'review_needed', id);
    expect(ask.subject).toBe('Review needed: alice asks for readonly on e2e-notify-db');
    expect(ask.text).toContain('INC-1313: notifications');
    // The requester is never asked to review their own request.
    expect((await mailsTo('alice@example.com')).filter((m) => m.kind === 'review_needed' && m.text.includes(id))).toEqual([]);

    const post = await poll("maria's Slack message", async () => posts.find((p) => p.channel === 'UMARIA1' && JSON.stringify(p).includes(id)), 60_000);
    const actions = post.blocks.find((b: any) => b.type === 'actions');
    expect(actions.elements.map((e: any) => e.action_id)).toEqual(['kairos_approve', 'kairos_deny']);
    const approve = JSON.parse(actions.elements[0].value) as { requestId: string; itemId: string };

    // The approval-policy service learns of the request from Kafka; until then a click is refused as too early.
    const clicked = await poll(
      'the Slack click accepted',
      async () => {
        const answer = (await (await click({ type: 'block_actions', user: { id: 'UMARIA1' }, actions: [{ action_id: 'kairos_approve', value: JSON.stringify(approve) }] })).json()) as { text: string };
        return /^Approved/.test(answer.text) ? answer : undefined;
      },
      60_000,
    );
    expect(clicked.text).toMatch(/^Approved/);

    const approved = await mailOf('alice@example.com', 'approved', id);
    expect(approved.subject).toBe('Approved: readonly on e2e-notify-db');
    const granted = await mailOf('alice@example.com', 'granted', id);
    expect(granted.subject).toMatch(/^Granted: readonly on e2e-notify-db until /);
    const request = await h.call('request-service', alice, 'GET', `/v1/access-requests/${id}`);
    expect(request.body.items[0].status).toBe('active');
  }, 300_000);

  it('refuses a forged Slack click (wrong signing secret) at the running notifier with a 401 problem', async () => {
    const res = await click({ type: 'block_actions', user: { id: 'UMARIA1' }, actions: [{ action_id: 'kairos_approve', value: '{}' }] }, 'guessed-secret');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    const text = await res.text();
    expect(text).not.toContain(SLACK_SECRET);
  });
});
