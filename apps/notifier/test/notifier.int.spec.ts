import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { AccessRequestEvent, ItemPolicySnapshot } from '@kairos/contracts';
import { eventually } from '@kairos/testing';
import { SLACK_SIGNING_SECRET, SLACK_TOKEN, SMTP_PASSWORD, WEBHOOK_SECRET, slackRequest, startHarness, type Harness } from '../src/testing/harness';

const HOUR = 3_600_000;
const templatesDir = mkdtempSync(join(tmpdir(), 'notifier-templates-'));
// An operator's own template for one kind; the others fall back to the shipped defaults.
writeFileSync(join(templatesDir, 'denied.subject'), 'DENIED by {{deniedBy}}: {{comment}}\n');

describe('notifier (real PostgreSQL, Kafka, EventStoreDB, approval-policy service and SMTP; a local stand-in for Slack)', () => {
  let h: Harness;
  const clock = { offset: 0, now: () => new Date(Date.now() + clock.offset) };
  const crash = { nextEmail: false, crashed: [] as string[] };
  // Everything the notifier logs (JSON lines on stdout) during the whole suite, for the secrets test.
  const logs: string[] = [];
  let stdout: jest.SpyInstance | undefined;

  beforeAll(async () => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as never);
    h = await startHarness({ templatesDir });
    const directory = {
      identities: [
        { id: 'alice', kind: 'person', displayName: 'Alice Engineer', email: 'alice@example.com', managerId: 'mia', groups: ['engineering'] },
        { id: 'mia', kind: 'person', displayName: 'Mia Manager', email: 'mia@example.com', groups: ['engineering'] },
        { id: 'otto', kind: 'person', displayName: 'Otto Admin', email: 'otto@example.com', groups: ['kairos-admins'] },
        { id: 'bob', kind: 'person', displayName: 'Bob Deputy', email: 'bob@example.com', managerId: 'mia' },
        { id: 'nora', kind: 'person', displayName: 'Nora NoSlack', email: 'nora@example.com', managerId: 'ursula' },
        { id: 'ursula', kind: 'person', displayName: 'Ursula Unreachable', email: 'ursula@example.com' },
      ],
    };
    expect((await h.policyCall('POST', '/v1/directory/import', directory)).status).toBe(200);
    expect((await h.policyCall('PUT', '/v1/identities/mia/notification-settings', { slackUserId: 'UMIA01', notify: ['email', 'slack'] })).status).toBe(200);
    expect((await h.policyCall('PUT', '/v1/identities/alice/notification-settings', { slackUserId: 'UALICE1', notify: ['email', 'slack'] })).status).toBe(200);
    expect((await h.policyCall('PUT', '/v1/identities/ursula/notification-settings', { slackUserId: 'UGONE01', notify: ['slack'] })).status).toBe(200);
    const resource = { id: 'orders-db', name: 'Orders DB', connector: 'postgres', target: 'orders', owners: ['otto'], allowedRoles: ['read'], tier: 1 };
    expect((await h.policyCall('POST', '/v1/resources', resource)).status).toBe(201);
    await h.boot(clock, {
      afterSend: (sendKey) => {
        if (crash.nextEmail && sendKey.endsWith(':email')) {
          crash.nextEmail = false;
          crash.crashed.push(sendKey);
          throw new Error('simulated crash between the send and its record');
        }
      },
    });
  }, 240_000);

  afterAll(async () => {
    await h?.close();
    stdout?.mockRestore();
  });

  async function requested(requester = 'alice', justification = 'INC-42: checkout is slow'): Promise<{ requestId: string; policy: ItemPolicySnapshot }> {
    const evaluation = await h.policyCall('POST', '/v1/policy/evaluations', {
      requester: { id: requester, kind: 'person' },
      items: [{ itemId: 'item-1', resourceId: 'orders-db', role: 'read' }],
      justification,
      breakGlass: false,
    });
    expect(evaluation.status).toBe(200);
    const { policy, duration } = evaluation.body.items[0];
    const requestId = randomUUID();
    const now = clock.now();
    await h.record(
      requestId,
      [
        {
          type: 'AccessRequested',
          data: {
            requestId,
            requester: { id: requester, kind: 'person' },
            requestedBy: requester,
            onBehalf: false,
            justification,
            duration,
            breakGlass: false,
            items: [{ itemId: 'item-1', resourceId: 'orders-db', role: 'read', policy, pendingExpiresAt: new Date(now.getTime() + 24 * HOUR).toISOString() }],
            requestedAt: now.toISOString(),
          },
        },
      ],
      now.toISOString(),
    );
    return { requestId, policy };
  }

  const click = (payload: unknown, options: { secret?: string; timestamp?: number } = {}) => {
    const signed = slackRequest(payload, options);
    return request(h.app.getHttpServer()).post('/v1/slack/interactions').set(signed.headers).send(signed.body);
  };
  const buttonPayload = (slackUserId: string, requestId: string, action = 'kairos_approve') => ({
    type: 'block_actions',
    user: { id: slackUserId },
    actions: [{ action_id: action, value: JSON.stringify({ requestId, itemId: 'item-1' }) }],
  });
  const reviewNeeded = (address: string, requestId: string) => h.mailsTo(address).filter((m) => m.subject.startsWith('Review needed') && m.text.includes(requestId));

  it("sends the approver an email and a Slack message with Approve / Deny when a request needs them, and the signed webhook", async () => {
    const { requestId, policy } = await requested();
    expect(policy.steps[0]!.approvers).toEqual(['mia']);
    const mail = await eventually(async () => reviewNeeded('mia@example.com', requestId)[0], 'the review email to mia');
    expect(mail.subject).toBe('Review needed: alice asks for read on orders-db');
    expect(mail.text).toContain('INC-42: checkout is slow');
    // A link to a route the console serves: its approvals screen (the request's id after it).
    expect(mail.html).toContain(`http://console.test/#/inbox/${requestId}`);
    const post = await eventually(async () => h.slack.posts.find((p) => p.body.channel === 'UMIA01' && JSON.stringify(p.body).includes(requestId)), 'the Slack message to mia');
    const actions = post.body.blocks.find((b: any) => b.type === 'actions');
    expect(actions.elements.map((e: any) => e.action_id)).toEqual(['kairos_approve', 'kairos_deny']);
    expect(JSON.parse(actions.elements[0].value)).toEqual({ requestId, itemId: 'item-1' });
    expect(post.body.client_msg_id).toMatch(/^[0-9a-f-]{36}$/);
    const hook = await eventually(async () => h.webhook.deliveries.find((d) => d.body.requestId === requestId && d.body.kind === 'review_needed'), 'the webhook delivery');
    expect(hook.verified).toBe(true);
    // The requester is not asked to review their own request.
    expect(reviewNeeded('alice@example.com', requestId)).toEqual([]);
  });

  it('turns a Slack Approve click into a review by that person, judged by the approval-policy service', async () => {
    const { requestId } = await requested();
    await eventually(async () => reviewNeeded('mia@example.com', requestId)[0], 'the review email to mia');
    const res = await click(buttonPayload('UMIA01', requestId));
    expect(res.status).toBe(200);
    expect(res.body.text).toMatch(/^Approved/);
    const decision = await eventually(async () => h.published.find((m) => m.type === 'ReviewSubmitted' && m.data.requestId === requestId), 'ReviewSubmitted on approval.decisions');
    expect(decision.data).toMatchObject({ reviewerId: 'mia', decision: 'approve', itemId: 'item-1' });
  });

  it('refuses a click by the requester on their own request (the same rules as the API)', async () => {
    const { requestId } = await requested();
    const res = await click(buttonPayload('UALICE1', requestId));
    expect(res.status).toBe(200);
    expect(res.body.text).toMatch(/Refused \(SELF_REVIEW\)/);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.published.filter((m) => m.type === 'ReviewSubmitted' && m.data.requestId === requestId)).toEqual([]);
  });

  it('refuses a forged Slack click (wrong signing secret), a replayed one (older than five minutes) and an unsigned one', async () => {
    const { requestId } = await requested();
    expect((await click(buttonPayload('UMIA01', requestId), { secret: 'guessed' })).status).toBe(401);
    const stale = await click(buttonPayload('UMIA01', requestId), { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(401);
    expect(stale.headers['content-type']).toMatch(/problem\+json/);
    const unsigned = await request(h.app.getHttpServer())
      .post('/v1/slack/interactions')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send(`payload=${encodeURIComponent(JSON.stringify(buttonPayload('UMIA01', requestId)))}`);
    expect(unsigned.status).toBe(401);
    expect(h.published.filter((m) => m.type === 'ReviewSubmitted' && m.data.requestId === requestId)).toEqual([]);
  });

  it('refuses a signed click by a Slack user linked to nobody, and a malformed payload, with a 4xx or a plain answer, never a 500', async () => {
    const { requestId } = await requested();
    const stranger = await click(buttonPayload('UNOBODY', requestId));
    expect(stranger.status).toBe(200);
    expect(stranger.body.text).toMatch(/not linked/);
    expect((await click({ type: 'block_actions', user: { id: 'UMIA01' }, actions: [{ action_id: 'kairos_approve', value: 'not json' }] })).status).toBe(400);
    expect((await click({ type: 'view_submission' })).status).toBe(400);
  });

  it('reminds an unanswered review after the configured time, and escalates it to the fallback approvers after another (injected clock)', async () => {
    const { requestId } = await requested();
    await eventually(async () => reviewNeeded('mia@example.com', requestId)[0], 'the first ask');
    expect(h.mailsTo('mia@example.com').filter((m) => m.subject.startsWith('Reminder') && m.text.includes(requestId))).toEqual([]);
    clock.offset += HOUR + 1000;
    await eventually(async () => h.mailsTo('mia@example.com').find((m) => m.subject.startsWith('Reminder') && m.text.includes(requestId)), 'the reminder');
    expect(h.published.find((m) => m.type === 'ReviewEscalationRequested' && m.data.requestId === requestId)).toBeUndefined();
    clock.offset += HOUR;
    const escalation = await eventually(async () => h.published.find((m) => m.type === 'ReviewEscalationRequested' && m.data.requestId === requestId), 'the escalation');
    expect(escalation.data).toMatchObject({ itemId: 'item-1', step: 0, reason: 'unanswered', approvers: ['otto'] });
    expect(escalation.keyId).toMatch(/^notifier-/);
    // request-service records it on the stream (its decider's own test covers that); the fallback approver is then asked.
    await h.record(requestId, [
      { type: 'ReviewEscalated', data: { requestId, itemId: 'item-1', escalationId: escalation.data.escalationId, step: 0, reason: 'unanswered', approvers: ['otto'], escalatedAt: clock.now().toISOString() } },
    ]);
    const fallback = await eventually(async () => reviewNeeded('otto@example.com', requestId)[0], 'the ask to the fallback approver');
    expect(fallback.text).toContain('fallback approver');
    // Every send made while the clock was two hours ahead (this request's, and the reminders of earlier
    // requests the jump made due) is due at that time: let them go out before the clock goes back, or
    // they would wait two real hours.
    const { DataSource } = await import('typeorm');
    await eventually(async () => {
      const [row] = await h.app.get(DataSource).query(`SELECT count(*)::int AS n FROM notifier.sends WHERE status = 'pending'`);
      return row.n === 0;
    }, 'no send pending before the clock goes back');
    clock.offset = 0;
  });

  it("records an approver's out-of-office delegation on the request's stream", async () => {
    const miaToken = await h.issuer.token('mia', ['approver']);
    const created = await request(h.app.getHttpServer())
      .post('/v1/delegations')
      .set('authorization', `Bearer ${miaToken}`)
      .send({ delegateId: 'bob', startsAt: new Date(Date.now() - HOUR).toISOString(), endsAt: new Date(Date.now() + 24 * HOUR).toISOString() });
    expect(created.status).toBe(201);
    try {
      const { requestId } = await requested();
      const delegation = await eventually(async () => h.published.find((m) => m.type === 'ReviewEscalationRequested' && m.data.requestId === requestId), 'the delegation');
      expect(delegation.data).toMatchObject({ reason: 'delegation', delegatedBy: 'mia', approvers: ['bob'], until: created.body.endsAt });
    } finally {
      expect((await request(h.app.getHttpServer()).delete(`/v1/delegations/${created.body.delegationId}`).set('authorization', `Bearer ${miaToken}`)).status).toBe(204);
    }
  });

  it('refuses a delegation to oneself and one made for someone else', async () => {
    const bobToken = await h.issuer.token('bob', ['approver']);
    const self = await request(h.app.getHttpServer())
      .post('/v1/delegations')
      .set('authorization', `Bearer ${bobToken}`)
      .send({ delegateId: 'bob', startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + HOUR).toISOString() });
    expect(self.status).toBe(400);
    const service = await request(h.app.getHttpServer())
      .post('/v1/delegations')
      .set('authorization', `Bearer ${await h.issuer.token('notifier', [], { kind: 'service' })}`)
      .send({ delegateId: 'bob', startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + HOUR).toISOString() });
    expect(service.status).toBe(403);
  });

  it('a crash between sending and recording resends only that send, with the same Message-ID; sends already recorded are never resent after a restart', async () => {
    // Everything earlier is sent first, so the crash hits this request's email to mia.
    const { DataSource } = await import('typeorm');
    await eventually(async () => {
      const [row] = await h.app.get(DataSource).query(`SELECT count(*)::int AS n FROM notifier.sends WHERE status = 'pending'`);
      return row.n === 0;
    }, 'no send pending');
    crash.nextEmail = true;
    const { requestId } = await requested();
    await eventually(async () => crash.crashed.length > 0 && h.mailsTo('mia@example.com').filter((m) => m.text.includes(requestId)).length >= 2, 'the send, the crash and the resend');
    expect(crash.crashed[0]).toMatch(/:mia:email$/);
    await eventually(async () => (await h.sends(requestId)).every((s) => s.status === 'sent'), 'every send recorded');
    const copies = h.mailsTo('mia@example.com').filter((m) => m.text.includes(requestId));
    // The same message twice at most, recognisable as one: one Message-ID.
    expect(new Set(copies.map((m) => m.messageId)).size).toBe(1);
    const before = h.mail.mails.length;
    const slackBefore = h.slack.posts.length;
    await h.shutdown();
    await h.boot(clock);
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.mail.mails.length).toBe(before);
    expect(h.slack.posts.length).toBe(slackBefore);
  });

  it('an SMTP outage delays the mail but loses nothing', async () => {
    await h.mail.stop();
    const { requestId } = await requested();
    await eventually(async () => (await h.sends(requestId)).some((s) => s.channel === 'email' && s.attempts > 0 && s.status === 'pending'), 'a failed attempt while SMTP is down');
    expect(reviewNeeded('mia@example.com', requestId)).toEqual([]);
    const failed = (await h.sends(requestId)).find((s) => s.channel === 'email')!;
    expect(failed.last_error).toMatch(/^smtp: /);
    await h.mail.start();
    await eventually(async () => reviewNeeded('mia@example.com', requestId)[0], 'the mail after the outage', 60_000);
    // The send is marked in the transaction that made it, committed just after the server took the
    // mail: on a loaded machine the mail can be seen first.
    await eventually(async () => (await h.sends(requestId)).filter((s) => s.channel === 'email').every((s) => s.status === 'sent'), 'every mail marked sent');
  });

  it("waits as long as Slack's 429 Retry-After says, then sends", async () => {
    h.slack.behaviour.rateLimitNext = 1;
    const { requestId } = await requested();
    const start = Date.now();
    const post = await eventually(async () => h.slack.posts.find((p) => JSON.stringify(p.body).includes(requestId)), 'the Slack message after the rate limit');
    expect(post.at - start).toBeGreaterThanOrEqual(1000);
  });

  it('dead-letters a send Slack refuses for good, and no token appears in the record', async () => {
    h.slack.behaviour.refuseChannels.add('UGONE01');
    const { requestId } = await requested('nora');
    await eventually(async () => (await h.sends(requestId)).find((s) => s.recipient_id === 'ursula' && s.status === 'dead'), 'the dead-lettered send');
    const dead = await request(h.app.getHttpServer())
      .get('/v1/notifications/sends')
      .query({ status: 'dead', requestId })
      .set('authorization', `Bearer ${await h.issuer.token('root', ['admin'])}`);
    expect(dead.body.items).toEqual([expect.objectContaining({ recipientId: 'ursula', channel: 'slack', lastError: 'slack: channel_not_found' })]);
    expect(JSON.stringify(dead.body)).not.toContain(SLACK_TOKEN);
  });

  it("tells the requester of a denial with the comment through the operator's template, escaping HTML and never breaking the subject line", async () => {
    const { requestId } = await requested('alice', 'needs <script>alert(1)</script>');
    const denied: AccessRequestEvent = {
      type: 'ItemDenied',
      data: { requestId, itemId: 'item-1', reviewId: randomUUID(), deniedBy: 'mia', reason: 'not now\r\nBcc: evil@example.com', deniedAt: new Date().toISOString() },
    };
    await h.record(requestId, [denied]);
    const mail = await eventually(async () => h.mailsTo('alice@example.com').find((m) => m.subject.startsWith('DENIED by mia')), 'the denial');
    expect(mail.subject).toBe('DENIED by mia: not now Bcc: evil@example.com');
    const ask = await eventually(async () => reviewNeeded('mia@example.com', requestId)[0], 'the ask');
    expect(ask.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(ask.html).not.toContain('<script>');
  });

  it('dead-letters a forged request event written straight to access-request.events and keeps consuming', async () => {
    // Signed by no trusted key: the consumer refuses it before the handler; the next genuine event is handled.
    const { Kafka, logLevel } = await import('kafkajs');
    const raw = new Kafka({ clientId: 'forger', brokers: h.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    const forgedId = randomUUID();
    await raw.send({
      topic: 'access-request.events',
      messages: [{ key: forgedId, value: JSON.stringify({ requestId: forgedId }), headers: { ce_id: randomUUID(), ce_type: 'AccessRequested', ce_source: 'x', ce_subject: forgedId, ce_time: new Date().toISOString(), ce_specversion: '1.0' } }],
    });
    await raw.disconnect();
    const { requestId } = await requested();
    await eventually(async () => reviewNeeded('mia@example.com', requestId)[0], 'a genuine request after the forged one');
    expect(h.mail.mails.some((m) => m.text.includes(forgedId))).toBe(false);
  });

  it("keeps retrying a mail the SMTP server's login refuses, and delivers it once the login works", async () => {
    h.mail.behaviour.refuseAuth = true;
    try {
      const { requestId } = await requested();
      const failed = await eventually(async () => (await h.sends(requestId)).find((s) => s.channel === 'email' && s.attempts > 0 && s.status === 'pending'), 'a refused login');
      expect(failed.last_error).toBe('smtp: EAUTH 535');
    } finally {
      h.mail.behaviour.refuseAuth = false;
    }
  });

  // Last: it reads what the notifier logged through every failure above (SMTP outage and refused
  // login, Slack 429 and refusal, forged and replayed clicks, forged events, the simulated crash).
  it('never logs a secret: not the SMTP password, the Slack bot token, the Slack signing secret, the webhook secret or its own service token', async () => {
    await eventually(async () => logs.some((line) => line.includes('send failed; retrying') && line.includes('EAUTH')), 'the refused login in the log');
    const notifierLog = logs.join('');
    // The log is real: the failures above are in it, by code.
    expect(notifierLog).toContain('send dead-lettered');
    expect(notifierLog).toContain('slack: channel_not_found');
    expect(notifierLog).toContain('smtp: ');
    for (const secret of [SMTP_PASSWORD, SLACK_TOKEN, SLACK_SIGNING_SECRET, WEBHOOK_SECRET, h.env.NOTIFIER_TOKEN!]) {
      expect(notifierLog).not.toContain(secret);
    }
    // Not even as the base64 of the SMTP login (AUTH PLAIN) or the token's signature.
    expect(notifierLog).not.toContain(Buffer.from(`\u0000kairos-mailer\u0000${SMTP_PASSWORD}`).toString('base64'));
    expect(notifierLog).not.toContain(h.env.NOTIFIER_TOKEN!.split('.')[2]!);
  });
});
