import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PgParkedEvents } from '@kairos/event-store';
import { messagingMigrations } from '@kairos/messaging';

class CreateRequestReadModel1732400000100 implements MigrationInterface {
  name = 'CreateRequestReadModel1732400000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE event_store_checkpoints (
      subscription_id text PRIMARY KEY, commit_position text NOT NULL, prepare_position text NOT NULL)`);
    await q.query(`CREATE TABLE access_requests (
      request_id uuid PRIMARY KEY,
      requester_id text NOT NULL,
      requested_by text NOT NULL,
      status text NOT NULL,
      resource_ids text[] NOT NULL,
      requested_at timestamptz NOT NULL,
      revision bigint NOT NULL,
      state jsonb NOT NULL,
      view jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query('CREATE INDEX access_requests_requester ON access_requests (requester_id, requested_at DESC)');
    await q.query('CREATE INDEX access_requests_status ON access_requests (status, requested_at DESC)');
    await q.query('CREATE INDEX access_requests_resources ON access_requests USING gin (resource_ids)');
    await q.query(`CREATE TABLE access_request_history (
      request_id uuid NOT NULL,
      revision bigint NOT NULL,
      event_id uuid NOT NULL,
      type text NOT NULL,
      data jsonb NOT NULL,
      recorded_at timestamptz NOT NULL,
      PRIMARY KEY (request_id, revision))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE access_request_history');
    await q.query('DROP TABLE access_requests');
    await q.query('DROP TABLE event_store_checkpoints');
  }
}

/** Events the read model or the relay could not store or publish, skipped so they never stall it. */
class CreateParkedEvents1732400000200 implements MigrationInterface {
  name = 'CreateParkedEvents1732400000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(new PgParkedEvents(q, (q.connection.options as { schema?: string }).schema ?? 'public').createTableSql());
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ${new PgParkedEvents(q, (q.connection.options as { schema?: string }).schema ?? 'public').table}`);
  }
}

/**
 * `Idempotency-Key` of submissions: the key names the request id before anything is appended, so a
 * retry after a lost reply finds the same request instead of creating a second one.
 */
class CreateIdempotencyKeys1732400000300 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1732400000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE idempotency_keys (
      principal_id text NOT NULL,
      key text NOT NULL,
      request_id uuid NOT NULL,
      body_hash text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (principal_id, key)
    )`);
    await q.query(`CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
  }
}

export const migrations: Function[] = [
  ...messagingMigrations,
  CreateRequestReadModel1732400000100,
  CreateParkedEvents1732400000200,
  CreateIdempotencyKeys1732400000300,
];
