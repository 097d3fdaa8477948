import { openRound, roundKey } from '@kairos/access-request-domain';
import { enqueueOutbox } from '@kairos/messaging';
import { redactSecrets } from '@kairos/observability';
import type { DataSource, EntityManager } from 'typeorm';
import { SendError, type Outgoing } from '../channels/channel';
import type { EmailChannel } from '../channels/email';
import type { SlackChannel } from '../channels/slack';
import type { WebhookChannel } from '../channels/webhook';
import { DirectoryUnavailableError, type Contact, type DirectoryClient } from '../directory/directory-client';
import type { Clock } from '../shared/clock';
import { REVIEW_KINDS, escalationSources, waitingOn, contextOf, type NotificationKind, type Recipients } from './plan';
import { escalationMessage } from './request-events.handler';
import { loadState, queueNotification } from './store';
import type { Templates } from './templates';

export interface DispatcherSettings {
  readonly defaultChannels: readonly string[];
  readonly consoleUrl: string;
  readonly escalationGroup: string;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly batchSize?: number;
}

export interface DispatcherLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface DispatcherHooks {
  /** Tests: runs after a send succeeded and before it is marked sent (a crash there is what they simulate). */
  afterSend?: (sendKey: string) => void;
  onSent?: (channel: string, kind: string) => void;
  onDead?: (channel: string, kind: string) => void;
}

interface NotificationRow {
  notification_id: string;
  kind: NotificationKind;
  request_id: string;
  item_id: string | null;
  recipients: Recipients;
  data: Record<string, unknown>;
  attempts: number;
}

interface SendRow {
  send_key: string;
  notification_id: string;
  recipient_id: string;
  channel: 'email' | 'slack' | 'webhook';
  address: string;
  attempts: number;
  kind: NotificationKind;
  request_id: string;
  item_id: string | null;
  data: Record<string, unknown>;
  display_name: string | null;
}

interface TimerRow {
  timer_key: string;
  kind: 'remind' | 'escalate' | 'expiry_warning';
  request_id: string;
  item_id: string;
  round_key: string;
}

const MAX_BACKOFF_MS = 600_000;

/**
 * The notifier's work after the inbox: due reminders, escalations and expiry warnings; notifications
 * expanded into one send per (event, recipient, channel) from today's directory; and each send made,
 * then marked sent. A crash between the send and the mark resends it on restart with the same
 * Message-ID / client_msg_id, never any send already marked. Failing sends back off and, past the
 * last attempt or refused for good, are dead-lettered (status `dead`, with the scrubbed reason).
 */
export class Dispatcher {
  constructor(
    private readonly dataSource: DataSource,
    private readonly directory: DirectoryClient,
    private readonly templates: Templates,
    private readonly channels: { email: EmailChannel; slack: SlackChannel; webhook: WebhookChannel },
    private readonly clock: Clock,
    private readonly settings: DispatcherSettings,
    private readonly log: DispatcherLog,
    private readonly hooks: DispatcherHooks = {},
  ) {}

  /** One round of everything due; returns whether anything was done (the loop looks again at once). */
  async runOnce(): Promise<boolean> {
    const timers = await this.fireTimers();
    const expanded = await this.expandNotifications();
    const sent = await this.sendDue();
    return timers + expanded + sent > 0;
  }

  private backoff(attempts: number): number {
    return Math.min(this.settings.backoffMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
  }

  // Timers

  private async fireTimers(): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const now = this.clock.now();
      const due: TimerRow[] = await tx.query(
        `SELECT timer_key, kind, request_id, item_id, round_key FROM timers WHERE done_at IS NULL AND due_at <= $1
         ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, this.settings.batchSize ?? 50],
      );
      for (const timer of due) {
        await this.fire(tx, timer, now);
        await tx.query('UPDATE timers SET done_at = $2 WHERE timer_key = $1', [timer.timer_key, now]);
      }
      return due.length;
    });
  }

  private async fire(tx: EntityManager, timer: TimerRow, now: Date): Promise<void> {
    const state = await loadState(tx, timer.request_id);
    if (state.status === 'empty') return;
    const item = state.items.find((candidate) => candidate.itemId === timer.item_id);
    if (!item) return;
    if (timer.kind === 'expiry_warning') {
      if (item.status !== 'active' || item.grant.expiresAt !== timer.round_key) return;
      await queueNotification(tx, `timer:${timer.timer_key}`, state.requestId, {
        kind: 'expiring_soon',
        itemId: item.itemId,
        recipients: { ids: [state.requester.id] },
        data: { ...contextOf(state, item), expiresAt: item.grant.expiresAt },
      }, now);
      return;
    }
    const round = openRound(item);
    // The step was answered (or the item decided) since: nothing is due.
    if (!round || roundKey(round) !== timer.round_key || round.kind === 'ratification') return;
    const context = { ...contextOf(state, item), deadline: round.deadline, stepName: round.snapshot.name };
    if (timer.kind === 'remind') {
      const waiting = waitingOn(state, item, round);
      if (waiting.length === 0) return;
      await queueNotification(tx, `timer:${timer.timer_key}`, state.requestId, { kind: 'review_reminder', itemId: item.itemId, recipients: { ids: waiting }, data: context }, now);
      this.log.info('review reminded', { requestId: state.requestId, itemId: item.itemId, round: timer.round_key, recipients: waiting.length });
      return;
    }
    // Escalation: the step's fallback approvers (from the policy snapshot, today's directory, the
    // configured group last), recorded on the request's stream by the request service, which
    // decides whether it still applies.
    const eligible = round.snapshot.approvers;
    let fallback: string[] = [];
    let source: Recipients | undefined;
    for (const candidate of escalationSources(round.snapshot, item.policy, this.settings.escalationGroup)) {
      const contacts = 'group' in candidate ? await this.directory.byGroup(candidate.group) : await this.directory.byIds(candidate.ids);
      fallback = contacts
        .filter((contact) => contact.active && contact.kind === 'person')
        .map((contact) => contact.id)
        .filter((id) => id !== state.requester.id && !(state.onBehalf && id === state.requestedBy) && !eligible.includes(id));
      source = candidate;
      if (fallback.length > 0) break;
    }
    if (fallback.length === 0) {
      this.log.error('nobody to escalate an unanswered review to', { requestId: state.requestId, itemId: item.itemId, group: this.settings.escalationGroup });
      return;
    }
    await enqueueOutbox(tx, [
      escalationMessage({
        requestId: state.requestId,
        itemId: item.itemId,
        escalationId: `escalate:${timer.timer_key}`,
        step: round.step,
        reason: 'unanswered',
        approvers: fallback.slice(0, 200),
        requestedAt: now.toISOString(),
      }),
    ]);
    this.log.info('review escalated', {
      requestId: state.requestId,
      itemId: item.itemId,
      round: timer.round_key,
      approvers: fallback.length,
      source: source && 'group' in source ? `group:${source.group}` : 'resource owners',
    });
  }

  // Notifications → sends

  private async expandNotifications(): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const now = this.clock.now();
      const rows: NotificationRow[] = await tx.query(
        `SELECT notification_id, kind, request_id, item_id, recipients, data, attempts FROM notifications
         WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, this.settings.batchSize ?? 50],
      );
      for (const row of rows) {
        try {
          await this.expand(tx, row, now);
          await tx.query(`UPDATE notifications SET status = 'expanded', last_error = NULL WHERE notification_id = $1`, [row.notification_id]);
        } catch (error) {
          const attempts = row.attempts + 1;
          const reason = redactSecrets(error instanceof Error ? error.message : String(error));
          if (!(error instanceof DirectoryUnavailableError) || attempts >= this.settings.maxAttempts * 3) {
            await tx.query(`UPDATE notifications SET status = 'dead', attempts = $2, last_error = $3 WHERE notification_id = $1`, [row.notification_id, attempts, reason]);
            this.log.error('notification dead-lettered', { notificationId: row.notification_id, kind: row.kind, reason });
          } else {
            await tx.query(`UPDATE notifications SET attempts = $2, last_error = $3, next_attempt_at = $4 WHERE notification_id = $1`, [
              row.notification_id,
              attempts,
              reason,
              new Date(now.getTime() + this.backoff(attempts)),
            ]);
            this.log.warn('directory unavailable; notification retried later', { notificationId: row.notification_id, reason });
          }
        }
      }
      return rows.length;
    });
  }

  private async expand(tx: EntityManager, row: NotificationRow, now: Date): Promise<void> {
    const contacts: Contact[] = 'group' in row.recipients ? await this.directory.byGroup(row.recipients.group) : await this.directory.byIds(row.recipients.ids);
    const insert = (recipient: string, channel: string, address: string) =>
      tx.query(
        `INSERT INTO sends (send_key, notification_id, recipient_id, channel, address, status, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT (send_key) DO NOTHING`,
        [`${row.notification_id}:${recipient}:${channel}`, row.notification_id, recipient, channel, address, now],
      );
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
    const keys: { send_key: string }[] = await this.dataSource.query(
      `SELECT send_key FROM sends WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY created_at LIMIT $2`,
      [now, this.settings.batchSize ?? 50],
    );
    let done = 0;
    for (const { send_key } of keys) if (await this.sendOne(send_key)) done++;
    return done;
  }

  /** Sends one and records it in the same transaction that locks it: marked only after the send. */
  private async sendOne(sendKey: string): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const now = this.clock.now();
      const rows: SendRow[] = await tx.query(
        `SELECT s.send_key, s.notification_id, s.recipient_id, s.channel, s.address, s.attempts, n.kind, n.request_id, n.item_id, n.data, NULL AS display_name
         FROM sends s JOIN notifications n USING (notification_id)
         WHERE s.send_key = $1 AND s.status = 'pending' AND s.next_attempt_at <= $2 FOR UPDATE OF s SKIP LOCKED`,
        [sendKey, now],
      );
      const row = rows[0];
      if (!row) return false;
      try {
        await this.deliver(row, now);
      } catch (error) {
        const attempts = row.attempts + 1;
        const sendError = error instanceof SendError ? error : new SendError(error instanceof Error ? error.message : String(error), false);
        const reason = redactSecrets(sendError.message);
        if (sendError.permanent || attempts >= this.settings.maxAttempts) {
          await tx.query(`UPDATE sends SET status = 'dead', attempts = $2, last_error = $3 WHERE send_key = $1`, [row.send_key, attempts, reason]);
          this.hooks.onDead?.(row.channel, row.kind);
          this.log.error('send dead-lettered', { sendKey: row.send_key, channel: row.channel, kind: row.kind, attempts, reason });
        } else {
          const wait = Math.max(sendError.retryAfterMs ?? 0, this.backoff(attempts));
          await tx.query(`UPDATE sends SET attempts = $2, last_error = $3, next_attempt_at = $4 WHERE send_key = $1`, [row.send_key, attempts, reason, new Date(now.getTime() + wait)]);
          this.log.warn('send failed; retrying', { sendKey: row.send_key, channel: row.channel, attempts, retryInMs: wait, reason });
        }
        return true;
      }
      this.hooks.afterSend?.(row.send_key);
      await tx.query(`UPDATE sends SET status = 'sent', attempts = attempts + 1, sent_at = $2, last_error = NULL WHERE send_key = $1`, [row.send_key, now]);
      this.hooks.onSent?.(row.channel, row.kind);
      return true;
    });
  }

  private async deliver(row: SendRow, now: Date): Promise<void> {
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
