import { PgCheckpointStore, PgParkedEvents } from '@kairos/event-store';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema-qualified table names, so the live projection and a replay's scratch schema share the code. */
export class AuditTables {
  readonly events: string;
  readonly requests: string;
  readonly items: string;
  readonly reviews: string;
  readonly grants: string;
  /** Events whose effect the read models could not take (see PgParkedEvents). */
  readonly parked: string;

  constructor(readonly schema: string) {
    if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
    const q = (table: string) => `"${schema}".${table}`;
    this.events = q('audit_events');
    this.requests = q('audit_requests');
    this.items = q('audit_items');
    this.reviews = q('audit_reviews');
    this.grants = q('audit_grants');
    this.parked = new PgParkedEvents({ query: async () => undefined }, schema).table;
  }

  /** The read models compared by a replay (the checkpoint is not a read model). */
  get readModels(): readonly string[] {
    return [this.events, this.requests, this.items, this.reviews, this.grants];
  }

  ddl(): string[] {
    return [
      `CREATE SCHEMA IF NOT EXISTS "${this.schema}"`,
      // The timeline and the hash chain: one row per event, as first seen.
      `CREATE TABLE ${this.events} (
        stream text NOT NULL,
        revision bigint NOT NULL,
        request_id text NOT NULL,
        event_id text NOT NULL,
        type text NOT NULL,
        commit_position numeric(20) NOT NULL,
        prepare_position numeric(20) NOT NULL,
        recorded_at timestamptz NOT NULL,
        data jsonb,
        metadata jsonb,
        status text NOT NULL CHECK (status IN ('recorded', 'unknown', 'malformed')),
        problem text,
        digest text NOT NULL,
        previous_hash text NOT NULL,
        chain_hash text NOT NULL,
        PRIMARY KEY (stream, revision)
      )`,
      `CREATE INDEX ON ${this.events} (request_id, revision)`,
      `CREATE TABLE ${this.requests} (
        request_id text PRIMARY KEY,
        requester_id text NOT NULL,
        requester_kind text NOT NULL,
        requester_groups jsonb,
        requested_by text NOT NULL,
        on_behalf boolean NOT NULL,
        justification text NOT NULL,
        ticket text,
        break_glass boolean NOT NULL,
        duration text NOT NULL,
        requested_at timestamptz NOT NULL
      )`,
      `CREATE INDEX ON ${this.requests} (requested_at)`,
      `CREATE TABLE ${this.items} (
        request_id text NOT NULL,
        item_id text NOT NULL,
        resource_id text NOT NULL,
        role text NOT NULL,
        tier integer,
        policy_mode text,
        status text NOT NULL,
        approved_via text,
        reused_from text,
        approved_at timestamptz,
        approval_expires_at timestamptz,
        denied_by text,
        denial_reason text,
        break_glass_ratify_by timestamptz,
        break_glass_ratified_by text,
        closed_at timestamptz,
        PRIMARY KEY (request_id, item_id)
      )`,
      `CREATE TABLE ${this.reviews} (
        request_id text NOT NULL,
        review_id text NOT NULL,
        item_id text NOT NULL,
        reviewer_id text NOT NULL,
        decision text NOT NULL,
        subject text NOT NULL,
        step integer NOT NULL,
        step_name text NOT NULL,
        comment text,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (request_id, review_id)
      )`,
      `CREATE TABLE ${this.grants} (
        grant_id text PRIMARY KEY,
        request_id text NOT NULL,
        item_id text NOT NULL,
        subject_id text NOT NULL,
        subject_kind text NOT NULL,
        resource_id text NOT NULL,
        role text NOT NULL,
        break_glass boolean NOT NULL,
        grant_verified boolean NOT NULL,
        grant_attested_by text,
        granted_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        expired_at timestamptz,
        revocation_requested_at timestamptz,
        revocation_reason text,
        revoked_at timestamptz,
        revocation_verified boolean,
        revocation_retained_by text,
        revocation_attested_by text
      )`,
      `CREATE INDEX ON ${this.grants} (resource_id, granted_at)`,
      `CREATE INDEX ON ${this.grants} (subject_id, granted_at)`,
      new PgCheckpointStore({ query: async () => undefined }, this.schema).createTableSql(),
      new PgParkedEvents({ query: async () => undefined }, this.schema).createTableSql(),
    ];
  }
}
