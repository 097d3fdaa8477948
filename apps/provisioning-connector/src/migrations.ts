import type { MigrationInterface, QueryRunner } from 'typeorm';
import { messagingMigrations } from '@kairos/messaging';

export class CreateProvisioningTables1733000000000 implements MigrationInterface {
  name = 'CreateProvisioningTables1733000000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per effect, keyed as the architecture asks: a redelivered GrantRequested finds its row.
    await q.query(`CREATE TABLE provisioning_jobs (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      request_id text NOT NULL,
      item_id text NOT NULL,
      action text NOT NULL CHECK (action IN ('grant', 'revoke')),
      grant_id text NOT NULL,
      connector text NOT NULL CHECK (connector IN ('postgres', 'webhook', 'manual')),
      target text NOT NULL,
      subject_id text NOT NULL,
      subject_kind text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'running', 'awaiting_person', 'succeeded', 'failed')),
      attempts int NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      lease_until timestamptz,
      last_error text,
      last_answer text,
      correlation_id text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (request_id, item_id, action, grant_id)
    )`);
    await q.query(`CREATE INDEX provisioning_jobs_due ON provisioning_jobs (status, next_attempt_at)`);
    await q.query(`CREATE INDEX provisioning_jobs_holder ON provisioning_jobs (connector, target, subject_id, seq)`);
    // Active grants per (connector, target, subject): the target loses the role with the last one.
    await q.query(`CREATE TABLE provisioning_active_grants (
      connector text NOT NULL,
      target text NOT NULL,
      subject_id text NOT NULL,
      grant_id text NOT NULL,
      request_id text NOT NULL,
      granted_at timestamptz NOT NULL,
      PRIMARY KEY (connector, target, subject_id, grant_id)
    )`);
    await q.query(`CREATE TABLE provisioning_tickets (
      id uuid PRIMARY KEY,
      job_id uuid NOT NULL UNIQUE REFERENCES provisioning_jobs (id),
      status text NOT NULL CHECK (status IN ('open', 'completed', 'failed')),
      comment text,
      resolved_by text,
      opened_at timestamptz NOT NULL,
      resolved_at timestamptz
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE provisioning_tickets');
    await q.query('DROP TABLE provisioning_active_grants');
    await q.query('DROP TABLE provisioning_jobs');
  }
}

/**
 * Jobs carry what the access is (resource, role, the role held in the target, duration, expiry,
 * revocation reason); active grants are counted per role held; the context of each request item
 * (requester, justification, fulfillers) is kept from AccessRequested.
 */
export class ProvisioningAccessDetails1735000000000 implements MigrationInterface {
  name = 'ProvisioningAccessDetails1735000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provisioning_jobs
      ADD COLUMN resource_id text, ADD COLUMN role text, ADD COLUMN access_role text, ADD COLUMN duration text,
      ADD COLUMN expires_at timestamptz, ADD COLUMN revocation_reason text, ADD COLUMN revocation_requested_by text,
      ADD COLUMN break_glass boolean NOT NULL DEFAULT false, ADD COLUMN retained_by text[]`);
    // The postgres connector always granted the target role itself; other connectors' roles were never kept.
    await q.query(`UPDATE provisioning_jobs SET access_role = target WHERE connector = 'postgres'`);
    await q.query(`ALTER TABLE provisioning_active_grants ADD COLUMN access_role text, ADD COLUMN role text`);
    await q.query(`UPDATE provisioning_active_grants SET access_role = target WHERE connector = 'postgres'`);
    await q.query(`CREATE INDEX provisioning_active_grants_access ON provisioning_active_grants (connector, target, subject_id, access_role)`);
    await q.query(`CREATE TABLE provisioning_request_items (
      request_id text NOT NULL,
      item_id text NOT NULL,
      requester_id text NOT NULL,
      requested_by text NOT NULL,
      justification text NOT NULL,
      ticket text,
      resource_id text NOT NULL,
      role text NOT NULL,
      fulfillers text[] NOT NULL,
      recorded_at timestamptz NOT NULL,
      PRIMARY KEY (request_id, item_id)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE provisioning_request_items');
    await q.query('DROP INDEX provisioning_active_grants_access');
    await q.query('ALTER TABLE provisioning_active_grants DROP COLUMN access_role, DROP COLUMN role');
    await q.query(`ALTER TABLE provisioning_jobs
      DROP COLUMN resource_id, DROP COLUMN role, DROP COLUMN access_role, DROP COLUMN duration, DROP COLUMN expires_at,
      DROP COLUMN revocation_reason, DROP COLUMN revocation_requested_by, DROP COLUMN break_glass, DROP COLUMN retained_by`);
  }
}

/**
 * Connectors come from the one list (@kairos/contracts CONNECTOR_NAMES), checked where events are
 * read, not frozen in a CHECK; short-lived credentials wait here, sealed, for their one delivery.
 */
export class ConnectorPluginsAndCredentials1736000000000 implements MigrationInterface {
  name = 'ConnectorPluginsAndCredentials1736000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provisioning_jobs DROP CONSTRAINT IF EXISTS provisioning_jobs_connector_check`);
    await q.query(`CREATE TABLE provisioning_credentials (
      grant_id text PRIMARY KEY,
      request_id text NOT NULL,
      subject_id text NOT NULL,
      login text NOT NULL,
      fingerprint text NOT NULL,
      sealed bytea,
      valid_until timestamptz NOT NULL,
      connection jsonb NOT NULL,
      issued_at timestamptz NOT NULL,
      delivered_at timestamptz
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE provisioning_credentials');
  }
}

/** Each job keeps the trace it was recorded in, so its attempts and results continue that trace. */
export class ProvisioningJobTraceContext1737000000000 implements MigrationInterface {
  name = 'ProvisioningJobTraceContext1737000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE provisioning_jobs ADD COLUMN traceparent text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE provisioning_jobs DROP COLUMN traceparent');
  }
}

/**
 * The claim asks, for every due job, whether an earlier job of the same holder (connector, target,
 * identity) is still open. Over the full holder index that walks every job the holder ever had, so
 * a claim grew with the grants an identity held (a CI bot with a grant per job); this index holds
 * only the open jobs, so the question costs the same at 100 grants as at 100,000.
 */
export class OpenJobsPerHolder1738000000000 implements MigrationInterface {
  name = 'OpenJobsPerHolder1738000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX provisioning_jobs_open_per_holder ON provisioning_jobs (connector, target, subject_id, seq)
      WHERE status IN ('pending', 'running', 'awaiting_person')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX provisioning_jobs_open_per_holder');
  }
}

export const migrations: Function[] = [
  ...messagingMigrations,
  CreateProvisioningTables1733000000000,
  ProvisioningAccessDetails1735000000000,
  ConnectorPluginsAndCredentials1736000000000,
  ProvisioningJobTraceContext1737000000000,
  OpenJobsPerHolder1738000000000,
];
