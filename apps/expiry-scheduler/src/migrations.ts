import type { MigrationInterface, QueryRunner } from 'typeorm';
import { messagingMigrations } from '@kairos/messaging';

export class CreateTimers1733000000000 implements MigrationInterface {
  name = 'CreateTimers1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE timers (
      timer_id text PRIMARY KEY,
      request_id text NOT NULL,
      item_id text NOT NULL,
      grant_id text,
      kind text NOT NULL CHECK (kind IN ('access_expiry', 'approval_expiry', 'pending_ttl', 'break_glass_review')),
      due_at timestamptz NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'fired', 'cancelled')),
      scheduled_at timestamptz NOT NULL,
      fired_at timestamptz,
      cancelled_at timestamptz,
      cancelled_by text,
      correlation_id text
    )`);
    await q.query(`CREATE INDEX timers_pending_due ON timers (due_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX timers_by_item ON timers (request_id, item_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE timers');
  }
}

export const migrations: Function[] = [...messagingMigrations, CreateTimers1733000000000];
