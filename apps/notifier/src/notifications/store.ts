import { initialState, type AccessRequestState } from '@kairos/access-request-domain';
import type { EntityManager } from 'typeorm';
import type { PlannedNotification } from './plan';

export async function loadState(tx: EntityManager, requestId: string, lock = false): Promise<AccessRequestState> {
  const rows: { state: AccessRequestState }[] = await tx.query(`SELECT state FROM request_states WHERE request_id = $1${lock ? ' FOR UPDATE' : ''}`, [requestId]);
  return rows[0]?.state ?? initialState();
}

export async function saveState(tx: EntityManager, requestId: string, state: AccessRequestState): Promise<void> {
  await tx.query(
    `INSERT INTO request_states (request_id, state) VALUES ($1, $2) ON CONFLICT (request_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
    [requestId, JSON.stringify(state)],
  );
}

export async function queueNotification(tx: EntityManager, id: string, requestId: string, notification: PlannedNotification, now: Date): Promise<void> {
  await tx.query(
    `INSERT INTO notifications (notification_id, kind, request_id, item_id, recipients, data, status, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) ON CONFLICT (notification_id) DO NOTHING`,
    [id, notification.kind, requestId, notification.itemId, JSON.stringify(notification.recipients), JSON.stringify(notification.data), now],
  );
}

export async function schedule(
  tx: EntityManager,
  timer: { key: string; kind: 'remind' | 'escalate' | 'expiry_warning'; requestId: string; itemId: string; roundKey: string; dueAt: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO timers (timer_key, kind, request_id, item_id, round_key, due_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (timer_key) DO NOTHING`,
    [timer.key, timer.kind, timer.requestId, timer.itemId, timer.roundKey, timer.dueAt],
  );
}
