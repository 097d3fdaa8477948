import { initialState, type AccessRequestState } from '@kairos/access-request-domain';
import type { ReviewEscalationRequested } from '@kairos/contracts';
import { enqueueOutbox } from '@kairos/messaging';
import type { DataSource, EntityManager } from 'typeorm';
import type { Delegation } from '../../domain/delegation';
import type { PlannedNotification } from '../../domain/plan';
import type { Timer } from '../../domain/ports';
import type { DueSend, PendingNotification, SendChannel, SendStore, SendTransaction } from '../../use-cases/dispatch-sends/ports';
import type { DueTimer, TimerStore, TimerTransaction } from '../../use-cases/fire-timers/fire-timers';
import type { PlanStore } from '../../use-cases/plan-notifications/plan-notifications';
import { escalationMessage } from '../kafka/escalations';
import { activeDelegations } from './delegations.repository';

/**
 * The notifier's tables (request_states, notifications, timers, sends, the outbox) inside one
 * transaction: the inbox transaction of a request event, or one of the dispatcher's.
 */
export class PgNotifierTx implements PlanStore, TimerTransaction, SendTransaction {
  constructor(readonly tx: EntityManager) {}

  async loadState(requestId: string, lock = false): Promise<AccessRequestState> {
    const rows: { state: AccessRequestState }[] = await this.tx.query(`SELECT state FROM request_states WHERE request_id = $1${lock ? ' FOR UPDATE' : ''}`, [requestId]);
    return rows[0]?.state ?? initialState();
  }

  async saveState(requestId: string, state: AccessRequestState): Promise<void> {
    await this.tx.query(
      `INSERT INTO request_states (request_id, state) VALUES ($1, $2) ON CONFLICT (request_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
      [requestId, JSON.stringify(state)],
    );
  }

  async queueNotification(id: string, requestId: string, notification: PlannedNotification, now: Date): Promise<void> {
    await this.tx.query(
      `INSERT INTO notifications (notification_id, kind, request_id, item_id, recipients, data, status, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) ON CONFLICT (notification_id) DO NOTHING`,
      [id, notification.kind, requestId, notification.itemId, JSON.stringify(notification.recipients), JSON.stringify(notification.data), now],
    );
  }

  async schedule(timer: Timer): Promise<void> {
    await this.tx.query(
      `INSERT INTO timers (timer_key, kind, request_id, item_id, round_key, due_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (timer_key) DO NOTHING`,
      [timer.key, timer.kind, timer.requestId, timer.itemId, timer.roundKey, timer.dueAt],
    );
  }

  activeDelegations(approvers: readonly string[], now: Date): Promise<Delegation[]> {
    return activeDelegations(this.tx, approvers, now);
  }

  async requestEscalation(data: ReviewEscalationRequested['data']): Promise<void> {
    await enqueueOutbox(this.tx, [escalationMessage(data)]);
  }

  // Timers

  dueTimers(now: Date, limit: number): Promise<DueTimer[]> {
    return this.tx.query(
      `SELECT timer_key, kind, request_id, item_id, round_key FROM timers WHERE done_at IS NULL AND due_at <= $1
       ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
  }

  async markTimerDone(timerKey: string, now: Date): Promise<void> {
    await this.tx.query('UPDATE timers SET done_at = $2 WHERE timer_key = $1', [timerKey, now]);
  }

  // Notifications → sends

  pendingNotifications(now: Date, limit: number): Promise<PendingNotification[]> {
    return this.tx.query(
      `SELECT notification_id, kind, request_id, item_id, recipients, data, attempts FROM notifications
       WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
  }

  async markExpanded(notificationId: string): Promise<void> {
    await this.tx.query(`UPDATE notifications SET status = 'expanded', last_error = NULL WHERE notification_id = $1`, [notificationId]);
  }

  async markNotificationDead(notificationId: string, attempts: number, reason: string): Promise<void> {
    await this.tx.query(`UPDATE notifications SET status = 'dead', attempts = $2, last_error = $3 WHERE notification_id = $1`, [notificationId, attempts, reason]);
  }

  async retryNotification(notificationId: string, attempts: number, reason: string, at: Date): Promise<void> {
    await this.tx.query(`UPDATE notifications SET attempts = $2, last_error = $3, next_attempt_at = $4 WHERE notification_id = $1`, [notificationId, attempts, reason, at]);
  }

  async insertSend(send: { notificationId: string; recipientId: string; channel: SendChannel; address: string; now: Date }): Promise<void> {
    await this.tx.query(
      `INSERT INTO sends (send_key, notification_id, recipient_id, channel, address, status, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT (send_key) DO NOTHING`,
      [`${send.notificationId}:${send.recipientId}:${send.channel}`, send.notificationId, send.recipientId, send.channel, send.address, send.now],
    );
  }

  // Sends

  async lockDueSend(sendKey: string, now: Date): Promise<DueSend | undefined> {
    const rows: DueSend[] = await this.tx.query(
      `SELECT s.send_key, s.notification_id, s.recipient_id, s.channel, s.address, s.attempts, n.kind, n.request_id, n.item_id, n.data
       FROM sends s JOIN notifications n USING (notification_id)
       WHERE s.send_key = $1 AND s.status = 'pending' AND s.next_attempt_at <= $2 FOR UPDATE OF s SKIP LOCKED`,
      [sendKey, now],
    );
    return rows[0];
  }

  async markSent(sendKey: string, now: Date): Promise<void> {
    await this.tx.query(`UPDATE sends SET status = 'sent', attempts = attempts + 1, sent_at = $2, last_error = NULL WHERE send_key = $1`, [sendKey, now]);
  }

  async markSendDead(sendKey: string, attempts: number, reason: string): Promise<void> {
    await this.tx.query(`UPDATE sends SET status = 'dead', attempts = $2, last_error = $3 WHERE send_key = $1`, [sendKey, attempts, reason]);
  }

  async retrySend(sendKey: string, attempts: number, reason: string, at: Date): Promise<void> {
    await this.tx.query(`UPDATE sends SET attempts = $2, last_error = $3, next_attempt_at = $4 WHERE send_key = $1`, [sendKey, attempts, reason, at]);
  }
}

/** The notifier's tables: a transaction of them, and the sends due (read outside one). */
export class PgNotifierStore implements TimerStore, SendStore {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: PgNotifierTx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((tx) => work(new PgNotifierTx(tx)));
  }

  async dueSendKeys(now: Date, limit: number): Promise<string[]> {
    const keys: { send_key: string }[] = await this.dataSource.query(
      `SELECT send_key FROM sends WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY created_at LIMIT $2`,
      [now, limit],
    );
    return keys.map((k) => k.send_key);
  }
}
