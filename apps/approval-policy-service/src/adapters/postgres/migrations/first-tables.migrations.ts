import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCatalogueAndDirectory1733000000000 implements MigrationInterface {
  name = 'CreateCatalogueAndDirectory1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE policy_version (
      id int PRIMARY KEY CHECK (id = 1),
      version bigint NOT NULL,
      changed_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`INSERT INTO policy_version (id, version) VALUES (1, 1)`);
    await q.query(`CREATE TABLE tiers (
      tier int PRIMARY KEY CHECK (tier BETWEEN 0 AND 4),
      settings jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE resources (
      id text PRIMARY KEY,
      name text NOT NULL,
      connector text NOT NULL CHECK (connector IN ('postgres', 'webhook', 'manual')),
      target text NOT NULL,
      owners jsonb NOT NULL,
      allowed_roles jsonb NOT NULL,
      tier int NOT NULL CHECK (tier BETWEEN 0 AND 4),
      break_glass_allowed boolean NOT NULL DEFAULT false,
      settings jsonb,
      group_overrides jsonb,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE identities (
      id text PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('person', 'service')),
      display_name text NOT NULL,
      email text,
      manager_id text,
      owner text,
      active boolean NOT NULL DEFAULT true,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE groups (
      id text PRIMARY KEY,
      name text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE group_members (
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      identity_id text NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
      PRIMARY KEY (group_id, identity_id)
    )`);
    await q.query(`CREATE INDEX group_members_identity ON group_members (identity_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['group_members', 'groups', 'identities', 'resources', 'tiers', 'policy_version'])
      await q.query(`DROP TABLE ${table}`);
  }
}

export class CreateReviewReadModel1733000000001 implements MigrationInterface {
  name = 'CreateReviewReadModel1733000000001';

  async up(q: QueryRunner): Promise<void> {
    // A read copy of every request seen on access-request.events; `open` while any item awaits a review.
    await q.query(`CREATE TABLE request_views (
      request_id text PRIMARY KEY,
      requester_id text NOT NULL,
      requested_at timestamptz NOT NULL,
      open boolean NOT NULL,
      data jsonb NOT NULL
    )`);
    await q.query(`CREATE INDEX request_views_open ON request_views (request_id) WHERE open`);
    await q.query(`CREATE INDEX request_views_requester ON request_views (requester_id, requested_at)`);
    // Votes accepted here, before the request stream records them: one per person per round.
    await q.query(`CREATE TABLE review_votes (
      request_id text NOT NULL,
      item_id text NOT NULL,
      round text NOT NULL,
      reviewer_id text NOT NULL,
      review_id text NOT NULL UNIQUE,
      decision text NOT NULL,
      submitted_at timestamptz NOT NULL,
      PRIMARY KEY (request_id, item_id, round, reviewer_id)
    )`);
    await q.query(`CREATE TABLE prior_approvals (
      request_id text NOT NULL,
      item_id text NOT NULL,
      identity_id text NOT NULL,
      resource_id text NOT NULL,
      role text NOT NULL,
      approval_expires_at timestamptz NOT NULL,
      PRIMARY KEY (request_id, item_id)
    )`);
    await q.query(`CREATE INDEX prior_approvals_identity ON prior_approvals (identity_id, approval_expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['prior_approvals', 'review_votes', 'request_views']) await q.query(`DROP TABLE ${table}`);
  }
}

/**
 * The copy of requests becomes the request domain's own state (folded with the domain's `evolve`),
 * and a lent approval records the duration people approved. The old copy had its own lifecycle
 * model; its rows cannot be converted, so it is dropped (reviews are checked against the request
 * streams themselves, so only inbox listings of requests submitted before this version are lost;
 * lent approvals without a known approved duration are dropped, so those items ask people again).
 */
export class OneLifecycleModel1733000000002 implements MigrationInterface {
  name = 'OneLifecycleModel1733000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE request_states (
      request_id text PRIMARY KEY,
      requester_id text NOT NULL,
      requested_at timestamptz NOT NULL,
      open boolean NOT NULL,
      data jsonb NOT NULL
    )`);
    await q.query(`CREATE INDEX request_states_open ON request_states (request_id) WHERE open`);
    await q.query(`CREATE INDEX request_states_requester ON request_states (requester_id, requested_at)`);
    await q.query(`DROP TABLE request_views`);
    await q.query(`DELETE FROM prior_approvals`);
    await q.query(`ALTER TABLE prior_approvals ADD COLUMN approved_duration text NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE prior_approvals DROP COLUMN approved_duration`);
    await q.query(`DROP TABLE request_states`);
    await q.query(`CREATE TABLE request_views (
      request_id text PRIMARY KEY, requester_id text NOT NULL, requested_at timestamptz NOT NULL, open boolean NOT NULL, data jsonb NOT NULL
    )`);
  }
}

/** Who may request a resource: group ids, NULL for everyone. */
export class ResourceRequestableBy1733000000003 implements MigrationInterface {
  name = 'ResourceRequestableBy1733000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resources ADD COLUMN requestable_by jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resources DROP COLUMN requestable_by`);
  }
}
