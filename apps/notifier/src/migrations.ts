import type { MigrationInterface, QueryRunner } from 'typeorm';
import { messagingMigrations } from '@kairos/messaging';

export class CreateNotifier1733100000000 implements MigrationInterface {
  name = 'CreateNotifier1733100000000';

  async up(q: QueryRunner): Promise<void> {
    // Each request folded with the request domain's own evolve.
    await q.query(`CREATE TABLE request_states (request_id text PRIMARY KEY, state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    // What is to be told, to whom (ids or a directory group), decided in the inbox transaction.
    await q.query(`CREATE TABLE notifications (
      notification_id text PRIMARY KEY,
      kind text NOT NULL,
      request_id text NOT NULL,
      item_id text,
      recipients jsonb NOT NULL,
      data jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'expanded', 'dead')),
      attempts int NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      last_error text,
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX notifications_pending ON notifications (next_attempt_at) WHERE status = 'pending'`);
    // The outbox of sends: one row per (event, recipient, channel); marked sent only after the send.
    await q.query(`CREATE TABLE sends (
      send_key text PRIMARY KEY,
      notification_id text NOT NULL REFERENCES notifications (notification_id),
      recipient_id text NOT NULL,
      channel text NOT NULL CHECK (channel IN ('email', 'slack', 'webhook')),
      address text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
      attempts int NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      last_error text,
      created_at timestamptz NOT NULL,
      sent_at timestamptz
    )`);
    await q.query(`CREATE INDEX sends_pending ON sends (next_attempt_at) WHERE status = 'pending'`);
    // Reminders, escalations and expiry warnings, keyed so a redelivered event schedules nothing twice.
    await q.query(`CREATE TABLE timers (
      timer_key text PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('remind', 'escalate', 'expiry_warning')),
      request_id text NOT NULL,
      item_id text NOT NULL,
      round_key text NOT NULL,
      due_at timestamptz NOT NULL,
      done_at timestamptz
    )`);
    await q.query(`CREATE INDEX timers_due ON timers (due_at) WHERE done_at IS NULL`);
    await q.query(`CREATE TABLE delegations (
      delegation_id text PRIMARY KEY,
      delegator_id text NOT NULL,
      delegate_id text NOT NULL,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      revoked_at timestamptz,
      CHECK (ends_at > starts_at),
      CHECK (delegate_id <> delegator_id)
    )`);
    await q.query(`CREATE INDEX delegations_by_delegator ON delegations (delegator_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE delegations');
    await q.query('DROP TABLE timers');
    await q.query('DROP TABLE sends');
    await q.query('DROP TABLE notifications');
    await q.query('DROP TABLE request_states');
  }
}

export const migrations: Function[] = [...messagingMigrations, CreateNotifier1733100000000];
