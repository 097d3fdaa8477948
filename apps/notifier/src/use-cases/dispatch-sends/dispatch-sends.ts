import type { Clock } from '@kairos/clock';
import { DirectoryUnavailableError, type Contact, type Directory } from '../../domain/directory';
import type { NotifierLog } from '../../domain/ports';
import { REVIEW_KINDS } from '../../domain/plan';
import { SendError, type Channels, type DueSend, type Outgoing, type PendingNotification, type SendChannel, type SendStore, type SendTransaction, type TemplateRenderer } from './ports';

export interface DispatchSettings {
  readonly defaultChannels: readonly string[];
  readonly consoleUrl: string;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly batchSize?: number;
}

export interface DispatchHooks {
  /** Tests: runs after a send succeeded and before it is marked sent (a crash there is what they simulate). */
  afterSend?: (sendKey: string) => void;
  onSent?: (channel: string, kind: string) => void;
  onDead?: (channel: string, kind: string) => void;
}

const MAX_BACKOFF_MS = 600_000;

/**
 * The notifier's sends: notifications expanded into one send per (event, recipient, channel) from
 * today's directory; and each send made, then marked sent. A crash between the send and the mark
 * resends it on restart with the same Message-ID / client_msg_id, never any send already marked.
 * Failing sends back off and, past the last attempt or refused for good, are dead-lettered (status
 * `dead`, with the scrubbed reason). Returns how many notifications and sends it handled.
 */
export class DispatchSends {
  constructor(
    private readonly store: SendStore,
    private readonly directory: Directory,
    private readonly templates: TemplateRenderer,
    private readonly channels: Channels,
    private readonly clock: Clock,
    private readonly settings: DispatchSettings,
    private readonly log: NotifierLog,
    /** Scrubs credentials from a failure's message before it is stored or logged. */
    private readonly redact: (text: string) => string,
    private readonly hooks: DispatchHooks = {},
  ) {}

  async run(): Promise<number> {
    const expanded = await this.expandNotifications();
    const sent = await this.sendDue();
    return expanded + sent;
  }

  private backoff(attempts: number): number {
    return Math.min(this.settings.backoffMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
  }

  // Notifications → sends

  private async expandNotifications(): Promise<number> {
    return this.store.transaction(async (tx) => {
      const now = this.clock.now();
      const rows = await tx.pendingNotifications(now, this.settings.batchSize ?? 50);
      // The people named by the whole batch, asked of the directory in one call rather than one per
      // notification (a burst of requests queues many; issue 17). A failure is each row's failure.
      const named = [...new Set(rows.flatMap((row) => ('group' in row.recipients ? [] : row.recipients.ids)))];
      const people: Map<string, Contact> | Error =
        named.length === 0
          ? new Map()
          : await this.directory.byIds(named).then(
              (contacts) => new Map(contacts.map((contact) => [contact.id, contact])),
              (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
            );
      for (const row of rows) {
        try {
          await this.expand(tx, row, now, people);
          await tx.markExpanded(row.notification_id);
        } catch (error) {
          const attempts = row.attempts + 1;
          const reason = this.redact(error instanceof Error ? error.message : String(error));
          if (!(error instanceof DirectoryUnavailableError) || attempts >= this.settings.maxAttempts * 3) {
            await tx.markNotificationDead(row.notification_id, attempts, reason);
            this.log.error('notification dead-lettered', { notificationId: row.notification_id, kind: row.kind, reason });
          } else {
            await tx.retryNotification(row.notification_id, attempts, reason, new Date(now.getTime() + this.backoff(attempts)));
            this.log.warn('directory unavailable; notification retried later', { notificationId: row.notification_id, reason });
          }
        }
      }
      return rows.length;
    });
  }

  private async expand(tx: SendTransaction, row: PendingNotification, now: Date, people: Map<string, Contact> | Error): Promise<void> {
    if (people instanceof Error && !('group' in row.recipients)) throw people;
    const contacts: Contact[] =
      'group' in row.recipients
        ? await this.directory.byGroup(row.recipients.group)
        : row.recipients.ids.flatMap((id) => (people as Map<string, Contact>).get(id) ?? []);
    const insert = (recipientId: string, channel: SendChannel, address: string) =>
      tx.insertSend({ notificationId: row.notification_id, recipientId, channel, address, now });
    for (const contact of contacts) {
      if (!contact.active) continue;
      const channels = contact.notify ?? this.settings.defaultChannels;
      if (channels.includes('email') && contact.email && this.channels.email.enabled) await insert(contact.id, 'email', contact.email);
      if (channels.includes('slack') && contact.slackUserId && this.channels.slack.enabled) await insert(contact.id, 'slack', contact.slackUserId);
    }
    if (this.channels.webhook.enabled) await insert('*', 'webhook', 'webhook');
  }

  // Sends

  private async sendDue(): Promise<number> {
    const now = this.clock.now();
    const keys = await this.store.dueSendKeys(now, this.settings.batchSize ?? 50);
    let done = 0;
    for (const key of keys) if (await this.sendOne(key)) done++;
    return done;
  }

  /** Sends one and records it in the same transaction that locks it: marked only after the send. */
  private async sendOne(sendKey: string): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      const now = this.clock.now();
      const row = await tx.lockDueSend(sendKey, now);
      if (!row) return false;
      try {
        await this.deliver(row, now);
      } catch (error) {
        const attempts = row.attempts + 1;
        const sendError = error instanceof SendError ? error : new SendError(error instanceof Error ? error.message : String(error), false);
        const reason = this.redact(sendError.message);
        if (sendError.permanent || attempts >= this.settings.maxAttempts) {
          await tx.markSendDead(row.send_key, attempts, reason);
          this.hooks.onDead?.(row.channel, row.kind);
          this.log.error('send dead-lettered', { sendKey: row.send_key, channel: row.channel, kind: row.kind, attempts, reason });
        } else {
          const wait = Math.max(sendError.retryAfterMs ?? 0, this.backoff(attempts));
          await tx.retrySend(row.send_key, attempts, reason, new Date(now.getTime() + wait));
          this.log.warn('send failed; retrying', { sendKey: row.send_key, channel: row.channel, attempts, retryInMs: wait, reason });
        }
        return true;
      }
      this.hooks.afterSend?.(row.send_key);
      await tx.markSent(row.send_key, now);
      this.hooks.onSent?.(row.channel, row.kind);
      return true;
    });
  }

  private async deliver(row: DueSend, now: Date): Promise<void> {
    const data = row.data;
    const base = this.settings.consoleUrl.replace(/\/$/, '');
    const [contact] = row.channel === 'webhook' ? [] : await this.directory.byIds([row.recipient_id]).catch((error: Error) => {
      throw new SendError(error.message, false);
    });
    const values = {
      ...data,
      recipientId: row.recipient_id,
      recipientName: contact?.displayName ?? row.recipient_id,
      // The console's own routes (hash routes: the console is one page served at its root). A path
      // such as /reviews/<id> is not served by anything and answered 404.
      requestLink: `${base}/#/requests/${encodeURIComponent(row.request_id)}`,
      reviewLink: `${base}/#/inbox/${encodeURIComponent(row.request_id)}`,
      escalationNote:
        data['escalated'] === 'unanswered'
          ? ' Nobody answered in time: you are asked as a fallback approver.'
          : data['escalated'] === 'delegation'
            ? ` You are asked as ${String(data['delegatedBy'])}'s delegate.`
            : '',
    };
    if (row.channel === 'webhook') {
      await this.channels.webhook.send(
        row.send_key,
        { version: 1, deliveryId: row.send_key, notificationId: row.notification_id, kind: row.kind, requestId: row.request_id, itemId: row.item_id, data, links: { request: values.requestLink, review: values.reviewLink }, sentAt: now.toISOString() },
        Math.floor(now.getTime() / 1000),
      );
      return;
    }
    const rendered = this.templates.render(row.kind, values);
    const outgoing: Outgoing = {
      sendKey: row.send_key,
      address: row.address,
      ...rendered,
      kind: row.kind,
      data,
      ...(REVIEW_KINDS.includes(row.kind) && row.item_id ? { review: { requestId: row.request_id, itemId: row.item_id } } : {}),
    };
    if (row.channel === 'email') await this.channels.email.send(outgoing);
    else await this.channels.slack.send(outgoing);
  }
}
