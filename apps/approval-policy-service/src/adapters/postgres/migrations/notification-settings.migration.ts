import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How each person is told (ADR 0016): their Slack user id and the channels they chose. Kept beside
 * the identity (deleted with it) rather than in the identity row, so a directory import, which
 * rewrites identities, never wipes what people chose for themselves.
 */
export class NotificationSettings1733000000010 implements MigrationInterface {
  name = 'NotificationSettings1733000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE notification_settings (
      identity_id text PRIMARY KEY REFERENCES identities (id) ON DELETE CASCADE,
      slack_user_id text UNIQUE,
      notify text[],
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE notification_settings');
  }
}
