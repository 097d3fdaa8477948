import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { loadConfig, messageKeys } from '@kairos/config';
import { accessRequestStreamName, CLOUDEVENTS_SOURCE, TOPICS, type AccessRequestEvent } from '@kairos/contracts';
import { createServiceApp } from '@kairos/http';
import { bindMessageAuthentication, contractSchemas, headerValue, messageAuthentication, MessagePublisher, MessageSigner, ensureKairosTopics, startKafkaInbox } from '@kairos/messaging';
import {
  authEnv,
  createTestDatabase,
  eventually,
  generateTestMessageKeys,
  startTestEventStore,
  startTestIssuer,
  startTestKafka,
} from '@kairos/testing';
import type { Clock } from '@kairos/clock';
import { NotifierMessaging } from '../adapters/kafka/notifier-messaging';
import { config } from '../config';
import { NotifierModule } from '../notifier.module';
import type { DispatchHooks } from '../use-cases/dispatch-sends/dispatch-sends';

const root = join(__dirname, '..', '..', '..', '..');
export const SLACK_TOKEN = 'xoxb-test-token-never-logged';
export const SLACK_SIGNING_SECRET = 'slack-signing-secret-for-tests';
export const WEBHOOK_SECRET = 'webhook-secret-for-tests';
export const SMTP_USER = 'kairos-mailer';
export const SMTP_PASSWORD = 'smtp-password-never-logged';

export interface CaughtMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
}

/** A real SMTP server (smtp-server) for the test: it receives what nodemailer sends, and can be taken down. */
async function startMailServer(port = 0) {
  const mails: CaughtMail[] = [];
  /** refuseAuth: the server turns the notifier's login down (535), as after a password rotation. */
  const behaviour = { refuseAuth: false };
  let server: SMTPServer | undefined;
  let boundPort = port;
  const start = async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // Plain-text AUTH on the loopback test server (no STARTTLS here).
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (behaviour.refuseAuth || auth.username !== SMTP_USER || auth.password !== SMTP_PASSWORD) {
          return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
        }
        return callback(null, { user: auth.username });
      },
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((mail: ParsedMail) => {
            const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? '');
            mails.push({ to, subject: mail.subject ?? '', text: mail.text ?? '', html: typeof mail.html === 'string' ? mail.html : '', messageId: mail.messageId ?? '' });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => server!.listen(boundPort, '127.0.0.1', () => resolve()));
    boundPort = (server.server.address() as { port: number }).port;
  };
  await start();
  return {
    mails,
    behaviour,
    get port() {
      return boundPort;
    },
    /** An outage: the server goes away (connections refused) until `start` again on the same port. */
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
    start,
  };
}

/**
 * A local stand-in for Slack's Web API (Slack is a third-party SaaS the tests cannot reach): it
 * answers chat.postMessage as Slack does, checks the bot token, and can answer 429 + Retry-After
 * or refuse a channel for good.
 */
async function startSlackStandIn() {
  const posts: { at: number; body: any }[] = [];
  const behaviour = { rateLimitNext: 0, refuseChannels: new Set<string>() };
  const server: Server = createHttpServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      if (req.url !== '/api/chat.postMessage') return reply(404, { ok: false, error: 'unknown_method' });
      if (req.headers.authorization !== `Bearer ${SLACK_TOKEN}`) return reply(200, { ok: false, error: 'invalid_auth' });
      if (behaviour.rateLimitNext > 0) {
        behaviour.rateLimitNext--;
        return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
      }
      const body = JSON.parse(raw);
      if (behaviour.refuseChannels.has(body.channel)) return reply(200, { ok: false, error: 'channel_not_found' });
      posts.push({ at: Date.now(), body });
      return reply(200, { ok: true, channel: body.channel, ts: `${Date.now() / 1000}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/api`, posts, behaviour, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A team's own webhook receiver, checking the notifier's HMAC signature as docs/notifier-webhook.md says. */
async function startWebhookReceiver() {
  const deliveries: { verified: boolean; body: any }[] = [];
  const server: Server = createHttpServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const timestamp = String(req.headers['x-kairos-timestamp']);
      const expected = `v1=${createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${raw}`).digest('hex')}`;
      deliveries.push({ verified: req.headers['x-kairos-signature'] === expected, body: JSON.parse(raw) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hook`, deliveries, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Real PostgreSQL, the local Kafka broker and EventStoreDB-compatible server, a token issuer, the
 * real approval-policy service in its own process (its directory and its review rules), a real SMTP
 * server, a Slack stand-in and a webhook receiver — and the notifier, booted in-process with a clock
 * the test moves.
 */
export async function startHarness(options: { templatesDir?: string; env?: Record<string, string> } = {}) {
  const [broker, db, issuer, eventstore, mail, slack, webhook] = await Promise.all([
    startTestKafka(),
    createTestDatabase('notifier'),
    startTestIssuer(),
    startTestEventStore(),
    startMailServer(),
    startSlackStandIn(),
    startWebhookReceiver(),
  ]);
  // Topics exist because setup made them: the services never create any (issue 14).
  await ensureKairosTopics(broker.brokers);
  const keys = generateTestMessageKeys();
  const kafka = new Kafka({ clientId: 'notifier-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const publisher = new MessagePublisher(kafka, contractSchemas, MessageSigner.of(keys.keys['request-service']));
  const streams = EventStoreDBClient.connectionString(eventstore.connectionString);

  // What the notifier asks for (escalations) and what the approval-policy service decides (reviews).
  const published: { topic: string; type?: string; keyId?: string; data: any }[] = [];
  const reader: Consumer = kafka.consumer({ groupId: `notifier-test-reader-${randomUUID()}` });
  await reader.connect();
  await reader.subscribe({ topics: [TOPICS.notifierEscalations, TOPICS.approvalDecisions], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      published.push({ topic, type: headerValue(message.headers, 'ce_type'), keyId: headerValue(message.headers, 'x-kairos-key-id'), data: JSON.parse(message.value!.toString()) });
    },
  });

  const policyPort = await freePort();
  const policyUrl = `http://127.0.0.1:${policyPort}`;
  const policy: ChildProcess = spawn(process.execPath, [join(root, 'tools', 'run-ts.js'), join(root, 'apps', 'approval-policy-service', 'src', 'main.ts')], {
    env: {
      PATH: process.env.PATH,
      ...authEnv(issuer),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      EVENTSTORE_URL: eventstore.connectionString,
      PORT: String(policyPort),
      LOG_LEVEL: 'error',
      NOTIFIER_SUBJECTS: 'notifier',
      ...keys.env('approval-policy-service'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let policyErr = '';
  policy.stderr!.on('data', (c: Buffer) => (policyErr += c.toString()));
  await eventually(
    async () => (await fetch(`${policyUrl}/health/ready`).catch(() => undefined))?.ok,
    `the approval-policy service to answer (${policyErr})`,
    120_000,
  );

  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: broker.brokers.join(','),
    // Info and up: what an operator's log holds, which the secrets test reads.
    LOG_LEVEL: 'info',
    ...authEnv(issuer),
    ...keys.env('notifier'),
    APPROVAL_POLICY_URL: policyUrl,
    NOTIFIER_TOKEN: await issuer.token('notifier', [], { kind: 'service', ttlSeconds: 3600 }),
    CONSOLE_URL: 'http://console.test',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(mail.port),
    SMTP_FROM: 'Kairos <kairos@test>',
    SMTP_USER,
    SMTP_PASSWORD,
    SLACK_API_URL: slack.url,
    SLACK_BOT_TOKEN: SLACK_TOKEN,
    SLACK_SIGNING_SECRET,
    NOTIFY_WEBHOOK_URL: webhook.url,
    NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    REMINDER_AFTER_SECONDS: '3600',
    ESCALATE_AFTER_SECONDS: '3600',
    EXPIRY_WARNING_SECONDS: '600',
    ESCALATION_GROUP: 'kairos-admins',
    SEND_BACKOFF_MS: '100',
    SEND_MAX_ATTEMPTS: '30',
    LOOP_INTERVAL_MS: '100',
    ...(options.templatesDir ? { TEMPLATES_DIR: options.templatesDir } : {}),
    ...options.env,
  };
  bindMessageAuthentication(kafka, messageAuthentication(messageKeys(loadConfig(config, env))));
  let app: INestApplication | undefined;
  const adminToken = await issuer.token('root', ['admin']);
  const policyCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${policyUrl}${path}`, { method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as any };
  };

  const harness = {
    db,
    issuer,
    mail,
    slack,
    webhook,
    published,
    env,
    policyCall,
    get app(): INestApplication {
      if (!app) throw new Error('the notifier is not running');
      return app;
    },
    async boot(clock: Clock, hooks: DispatchHooks = {}): Promise<INestApplication> {
      app = await createServiceApp(NotifierModule.forRoot(loadConfig(config, env), { clock, hooks }), { title: 'notifier', description: 'test' });
      await app.init();
      // As main.ts does: the request-event consumer is the app's @EventPattern controller.
      await startKafkaInbox(app, app.get(NotifierMessaging).runtime);
      return app;
    },
    async shutdown(): Promise<void> {
      await app?.close();
      app = undefined;
    },
    /** As request-service does: appended to the request's stream (what reviews are judged by), then relayed signed. */
    async record(requestId: string, events: readonly AccessRequestEvent[], time = new Date().toISOString()): Promise<void> {
      await streams.appendToStream(accessRequestStreamName(requestId), events.map((event) => jsonEvent({ type: event.type, data: event.data as never })));
      await publisher.publish(
        events.map((event) => ({ topic: TOPICS.accessRequestEvents, key: requestId, id: randomUUID(), type: event.type, subject: requestId, time, source: CLOUDEVENTS_SOURCE, data: event.data })),
      );
    },
    async sends(requestId: string): Promise<{ recipient_id: string; channel: string; status: string; attempts: number; last_error: string | null; kind: string }[]> {
      const { DataSource } = await import('typeorm');
      return harness.app.get(DataSource).query(
        `SELECT s.recipient_id, s.channel, s.status, s.attempts, s.last_error, n.kind FROM notifier.sends s JOIN notifier.notifications n USING (notification_id) WHERE n.request_id = $1 ORDER BY s.created_at`,
        [requestId],
      );
    },
    mailsTo(address: string): CaughtMail[] {
      return mail.mails.filter((m) => m.to.includes(address));
    },
    async close(): Promise<void> {
      await harness.shutdown();
      policy.kill('SIGTERM');
      await reader.disconnect();
      await publisher.disconnect();
      await streams.dispose();
      await Promise.all([mail.stop(), slack.close(), webhook.close(), issuer.close()]);
      await eventstore.close();
      await db.drop();
      await broker.close();
    },
  };
  return harness;
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** Signs a Slack interactivity request as Slack does (v0 HMAC of timestamp and body). */
export function slackRequest(payload: unknown, options: { secret?: string; timestamp?: number } = {}) {
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', options.secret ?? SLACK_SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature } };
}
