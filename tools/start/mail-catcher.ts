import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * The local mail catcher `npm start` runs in place of a real mail server (ADR 0023): an SMTP server
 * (smtp-server) on the loopback address that accepts every mail the notifier sends and delivers none,
 * and a small HTTP page listing what it caught (`/` for people, `/mails` as JSON for tests and
 * scripts). No authentication: it listens on 127.0.0.1 only and holds only what the notifier writes
 * (never a secret). Mails are kept in a JSON-lines file, so a restart by the supervisor loses none.
 */
export interface CaughtMail {
  readonly id: number;
  readonly receivedAt: string;
  readonly from: string;
  readonly to: string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
  readonly kind: string;
}

export interface MailCatcher {
  readonly smtpPort: number;
  readonly httpPort: number;
  readonly mails: readonly CaughtMail[];
  close(): Promise<void>;
}

/** At most this many mails are kept (the oldest go first); one mail at most 2 MiB. */
const MAX_MAILS = 2000;
const MAX_MAIL_BYTES = 2 * 1024 * 1024;

const addresses = (field: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address ?? '')).filter((a) => a !== '');

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** The people's page: newest first, plain text bodies only (a mail's HTML is never rendered here). */
function page(mails: readonly CaughtMail[]): string {
  const rows = [...mails]
    .reverse()
    .map(
      (m) =>
        `<details><summary><b>${escapeHtml(m.subject)}</b> &mdash; to ${escapeHtml(m.to.join(', '))} &mdash; ${escapeHtml(m.receivedAt)}</summary><pre>${escapeHtml(m.text)}</pre></details>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Kairos mail catcher</title>
<style>body{font-family:sans-serif;margin:2em}details{border-bottom:1px solid #ddd;padding:.5em 0}pre{white-space:pre-wrap}</style></head>
<body><h1>Mails sent by the Kairos notifier (${mails.length})</h1><p>Nothing here was delivered: this is the local mail catcher of <code>npm start</code>. JSON: <a href="/mails">/mails</a> (<code>?to=address</code>).</p>
${rows || '<p>No mail yet.</p>'}</body></html>`;
}

export async function startMailCatcher(options: { smtpPort: number; httpPort: number; store?: string; host?: string }): Promise<MailCatcher> {
  const host = options.host ?? '127.0.0.1';
  const mails: CaughtMail[] = [];
  if (options.store && existsSync(options.store)) {
    for (const line of readFileSync(options.store, 'utf8').split('\n')) {
      try {
        if (line.trim() !== '') mails.push(JSON.parse(line) as CaughtMail);
      } catch {
        // A line cut short by a crash: skipped.
      }
    }
  }
  if (options.store) mkdirSync(dirname(options.store), { recursive: true });
  let nextId = mails.reduce((max, m) => Math.max(max, m.id), 0) + 1;

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: MAX_MAIL_BYTES,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed: ParsedMail) => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            const error = Object.assign(new Error('message too large'), { responseCode: 552 });
            return callback(error);
          }
          const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
          const mail: CaughtMail = {
            id: nextId++,
            receivedAt: new Date().toISOString(),
            from: addresses(parsed.from)[0] ?? (session.envelope.mailFrom ? session.envelope.mailFrom.address : ''),
            to: envelopeTo.length > 0 ? envelopeTo : addresses(parsed.to),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            messageId: parsed.messageId ?? '',
            kind: String(parsed.headers.get('x-kairos-notification') ?? ''),
          };
          mails.push(mail);
          if (mails.length > MAX_MAILS) mails.splice(0, mails.length - MAX_MAILS);
          if (options.store) {
            try {
              appendFileSync(options.store, `${JSON.stringify(mail)}\n`);
            } catch {
              // A full disk: the mail is still listed until the catcher restarts.
            }
          }
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  smtp.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(options.smtpPort, host, () => resolve());
  });

  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://catcher');
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'application/problem+json', allow: 'GET' }).end(JSON.stringify({ status: 405, title: 'Method Not Allowed' }));
      return;
    }
    if (url.pathname === '/mails') {
      const to = url.searchParams.get('to')?.toLowerCase();
      const items = to ? mails.filter((m) => m.to.some((a) => a.toLowerCase() === to)) : mails;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ items }));
      return;
    }
    if (url.pathname === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (url.pathname === '/') {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'cache-control': 'no-store' })
        .end(page(mails));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status: 404, title: 'Not Found' }));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.httpPort, host, () => resolve());
  });

  return {
    smtpPort: (smtp.server.address() as { port: number }).port,
    httpPort: (http.address() as { port: number }).port,
    mails,
    close: async () => {
      await Promise.all([new Promise<void>((r) => smtp.close(() => r())), new Promise<void>((r) => http.close(() => r()))]);
    },
  };
}
