import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox (processed message ids, written in the same transaction as the consumer's state
 * change) and the outbox (messages to publish, written in the same transaction as the state
 * change that caused them). Tables land in the service's own schema (first on the search path).
 */
export class CreateMessagingTables1732400000000 implements MigrationInterface {
  name = 'CreateMessagingTables1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE messaging_inbox (
      consumer_group text NOT NULL,
      message_id text NOT NULL,
      topic text NOT NULL,
      partition int NOT NULL,
      "offset" bigint NOT NULL,
      outcome text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer_group, message_id)
    )`);
    await q.query(`CREATE TABLE messaging_outbox (
      seq bigserial PRIMARY KEY,
      topic text NOT NULL,
      message_key text NOT NULL,
      message_id text NOT NULL UNIQUE,
      type text NOT NULL,
      subject text NOT NULL,
      source text NOT NULL,
      time text NOT NULL,
      data jsonb NOT NULL,
      traceparent text,
      correlation_id text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE messaging_outbox');
    await q.query('DROP TABLE messaging_inbox');
  }
}

export const messagingMigrations = [CreateMessagingTables1732400000000];
