import type { DataSource } from 'typeorm';
import type { SendLog, SendStatus, SendView } from '../../use-cases/list-sends/list-sends';

/** The sends with their notifications, for operators. */
export class PgSendLog implements SendLog {
  constructor(private readonly dataSource: DataSource) {}

  list(filter: { status?: SendStatus; requestId?: string }): Promise<SendView[]> {
    return this.dataSource.query(
      `SELECT s.send_key AS "sendKey", s.recipient_id AS "recipientId", s.channel, s.status, s.attempts, s.last_error AS "lastError",
              s.sent_at AS "sentAt", n.kind, n.request_id AS "requestId", n.item_id AS "itemId"
       FROM sends s JOIN notifications n USING (notification_id)
       WHERE ($1::text IS NULL OR s.status = $1) AND ($2::text IS NULL OR n.request_id = $2)
       ORDER BY s.created_at DESC LIMIT 500`,
      [filter.status ?? null, filter.requestId ?? null],
    );
  }
}
