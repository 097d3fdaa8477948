import { createHash } from 'node:crypto';
import { APPROVE_ACTION, DENY_ACTION } from '../../domain/slack-interaction';
import { SendError, type Outgoing } from '../../use-cases/dispatch-sends/ports';

/** Slack's client_msg_id is a UUID: derived from the send key, the same send always carries the same one. */
export const clientMsgIdFor = (sendKey: string): string => {
  const h = createHash('sha256').update(sendKey).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

// Slack errors that are worth retrying; any other `ok: false` is a refusal for good.
const TRANSIENT_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Block Kit: the message, and for a review the Approve / Deny buttons naming the request and item. */
export function blocksFor(message: Outgoing): unknown[] {
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: message.subject.slice(0, 150) } },
    { type: 'section', text: { type: 'plain_text', text: message.text.slice(0, 2900) } },
  ];
  if (message.review) {
    const value = JSON.stringify(message.review);
    blocks.push({
      type: 'actions',
      block_id: 'kairos_review',
      elements: [
        { type: 'button', action_id: APPROVE_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value },
        { type: 'button', action_id: DENY_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value },
      ],
    });
  }
  return blocks;
}

/** chat.postMessage through Slack's Web API, honouring 429 + Retry-After. */
export class SlackChannel {
  constructor(
    private readonly apiUrl: string,
    private readonly token: () => string,
  ) {}

  get enabled(): boolean {
    try {
      return this.token() !== '';
    } catch {
      return true; // configured with a file that cannot be read now: sending fails and is retried
    }
  }

  async send(message: Outgoing): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.apiUrl.replace(/\/$/, '')}/chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token()}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({
          channel: message.address,
          text: message.subject,
          blocks: blocksFor(message),
          client_msg_id: clientMsgIdFor(message.sendKey),
          metadata: { event_type: 'kairos_notification', event_payload: { send_key: message.sendKey, kind: message.kind } },
        }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new SendError(`slack: ${(error as Error).name}`, false);
    }
    if (res.status === 429) {
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new SendError('slack: rate limited (429)', false, Number.isFinite(retryAfter) && retryAfter >= 0 ? Math.min(retryAfter, 3600) * 1000 : 30_000);
    }
    if (res.status >= 500) throw new SendError(`slack: HTTP ${res.status}`, false);
    const body = (await res.json().catch(() => ({}))) as { ok?: boolean; error?: string };
    if (res.ok && body.ok) return;
    const error = typeof body.error === 'string' ? body.error.replace(/[^a-z_]/g, '').slice(0, 60) : `HTTP ${res.status}`;
    throw new SendError(`slack: ${error}`, !TRANSIENT_ERRORS.has(error));
  }
}
