import type { DataSource } from 'typeorm';
import { NoGroupDataError } from '../../domain/access-summary';
import type { EvidenceApproval, EvidenceGrant, EvidenceRecord } from '../../domain/evidence';
import type { EvidenceSource } from '../../use-cases/export-evidence/export-evidence';
import type { AuditReadModel, GrantInterval, SummaryKey, SummaryRow, TimelineEntry } from '../../use-cases/query-audit/ports';
import type { AuditTables } from './audit-schema';

type Row = Record<string, unknown>;

const iso = (value: unknown): string | null =>
  value === null || value === undefined ? null : new Date(value as string | Date).toISOString();
const isoRequired = (value: unknown): string => new Date(value as string | Date).toISOString();
const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** Reads of the audit read models. Every time bound is a parameter: nothing here reads the clock. */
export class AuditQueries implements AuditReadModel, EvidenceSource {
  constructor(
    private readonly db: DataSource,
    private readonly t: AuditTables,
  ) {}

  async timeline(requestId: string): Promise<TimelineEntry[]> {
    const rows: Row[] = await this.db.query(`SELECT * FROM ${this.t.events} WHERE request_id = $1 ORDER BY revision`, [requestId]);
    return rows.map((r) => ({
      revision: String(r.revision),
      eventId: String(r.event_id),
      type: String(r.type),
      status: r.status as TimelineEntry['status'],
      problem: str(r.problem),
      position: { commit: String(r.commit_position), prepare: String(r.prepare_position) },
      recordedAt: isoRequired(r.recorded_at),
      data: r.data,
      metadata: r.metadata,
    }));
  }

  async activeGrants(): Promise<GrantInterval[]> {
    return this.grants(`revoked_at IS NULL`, []);
  }

  /** Grants whose interval [granted, revoked) contains `at`. */
  async accessAt(resourceId: string, at: Date): Promise<GrantInterval[]> {
    return this.grants(`resource_id = $1 AND granted_at <= $2 AND (revoked_at IS NULL OR revoked_at > $2)`, [resourceId, at.toISOString()]);
  }

  /** Grants of `identityId` whose interval overlaps [from, to). */
  async holdings(identityId: string, from: Date, to: Date): Promise<GrantInterval[]> {
    return this.grants(`subject_id = $1 AND granted_at < $3 AND (revoked_at IS NULL OR revoked_at > $2)`, [
      identityId,
      from.toISOString(),
      to.toISOString(),
    ]);
  }

  async resourceSummaries(): Promise<Row[]> {
    const rows: Row[] = await this.db.query(
      `SELECT i.resource_id,
              count(*)::int AS items_requested,
              count(*) FILTER (WHERE i.status = 'denied')::int AS items_denied,
              coalesce(sum(g.grants), 0)::int AS grants,
              coalesce(sum(g.active), 0)::int AS active_grants,
              coalesce(sum(g.break_glass), 0)::int AS break_glass_grants,
              count(DISTINCT r.requester_id)::int AS distinct_requesters,
              max(g.last_granted_at) AS last_granted_at
         FROM ${this.t.items} i
         JOIN ${this.t.requests} r ON r.request_id = i.request_id
         LEFT JOIN (SELECT request_id, item_id, count(*) AS grants, count(*) FILTER (WHERE revoked_at IS NULL) AS active,
                           count(*) FILTER (WHERE break_glass) AS break_glass, max(granted_at) AS last_granted_at
                      FROM ${this.t.grants} GROUP BY request_id, item_id) g ON g.request_id = i.request_id AND g.item_id = i.item_id
        GROUP BY i.resource_id ORDER BY i.resource_id`,
    );
    return rows.map((r) => ({ ...r, last_granted_at: iso(r.last_granted_at) })).map(camel);
  }

  async identitySummaries(): Promise<Row[]> {
    const rows: Row[] = await this.db.query(
      `SELECT r.requester_id AS identity_id, r.requester_kind AS kind,
              count(DISTINCT r.request_id)::int AS requests,
              count(*)::int AS items_requested,
              count(*) FILTER (WHERE i.status = 'denied')::int AS items_denied,
              coalesce(sum(g.grants), 0)::int AS grants,
              coalesce(sum(g.active), 0)::int AS active_grants,
              count(DISTINCT r.request_id) FILTER (WHERE r.break_glass)::int AS break_glass_requests,
              count(DISTINCT i.resource_id)::int AS distinct_resources
         FROM ${this.t.requests} r
         JOIN ${this.t.items} i ON i.request_id = r.request_id
         LEFT JOIN (SELECT request_id, item_id, count(*) AS grants, count(*) FILTER (WHERE revoked_at IS NULL) AS active
                      FROM ${this.t.grants} GROUP BY request_id, item_id) g ON g.request_id = i.request_id AND g.item_id = i.item_id
        GROUP BY r.requester_id, r.requester_kind ORDER BY r.requester_id`,
    );
    return rows.map(camel);
  }

  /**
   * Who had what, when: every grant held at some time in [from, to) (all of them without a range),
   * under its resource, its holder, or each group the requester was in when they asked.
   */
  async summaryRows(kind: SummaryKey, range?: { from: Date; to: Date }): Promise<SummaryRow[]> {
    if (kind === 'groups') await this.assertGroupData();
    const params: unknown[] = range ? [range.from.toISOString(), range.to.toISOString()] : [];
    const overlap = range ? 'g.granted_at < $2 AND (g.revoked_at IS NULL OR g.revoked_at > $1)' : 'true';
    const key = { resources: 'g.resource_id', identities: 'g.subject_id', groups: 'grp' }[kind];
    const from =
      kind === 'groups'
        ? `${this.t.grants} g JOIN ${this.t.requests} r ON r.request_id = g.request_id CROSS JOIN LATERAL jsonb_array_elements_text(r.requester_groups) AS grp`
        : `${this.t.grants} g`;
    const rows: Row[] = await this.db.query(
      `SELECT g.*, ${key} AS summary_key FROM ${from} WHERE ${overlap} ORDER BY summary_key, g.granted_at, g.grant_id`,
      params,
    );
    return rows.map((row) => ({ key: String(row.summary_key), ...grantInterval(row) }));
  }

  private async assertGroupData(): Promise<void> {
    const [{ n }]: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM ${this.t.requests} WHERE requester_groups IS NOT NULL`,
    );
    if (n === 0) throw new NoGroupDataError();
  }

  /** Per group of the requester, when producers recorded groups; otherwise there is nothing honest to say. */
  async groupSummaries(): Promise<Row[]> {
    const [{ n }]: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM ${this.t.requests} WHERE requester_groups IS NOT NULL`,
    );
    if (n === 0) throw new NoGroupDataError();
    const rows: Row[] = await this.db.query(
      `SELECT grp AS group_id,
              count(DISTINCT r.requester_id)::int AS distinct_requesters,
              count(DISTINCT r.request_id)::int AS requests,
              count(*)::int AS items_requested,
              coalesce(sum(g.grants), 0)::int AS grants,
              coalesce(sum(g.active), 0)::int AS active_grants
         FROM ${this.t.requests} r
         CROSS JOIN LATERAL jsonb_array_elements_text(r.requester_groups) AS grp
         JOIN ${this.t.items} i ON i.request_id = r.request_id
         LEFT JOIN (SELECT request_id, item_id, count(*) AS grants, count(*) FILTER (WHERE revoked_at IS NULL) AS active
                      FROM ${this.t.grants} GROUP BY request_id, item_id) g ON g.request_id = i.request_id AND g.item_id = i.item_id
        GROUP BY grp ORDER BY grp`,
    );
    return rows.map(camel);
  }

  /** Every item of the requests submitted in [from, to), with its approvals and grants. */
  async evidence(from: Date, to: Date): Promise<EvidenceRecord[]> {
    const items: Row[] = await this.db.query(
      `SELECT r.*, i.item_id, i.resource_id, i.role, i.tier, i.policy_mode, i.status, i.approved_via, i.reused_from, i.approved_at, i.approval_expires_at,
              i.denied_by, i.denial_reason, i.break_glass_ratified_by
         FROM ${this.t.requests} r JOIN ${this.t.items} i ON i.request_id = r.request_id
        WHERE r.requested_at >= $1 AND r.requested_at < $2
        ORDER BY r.requested_at, r.request_id, i.item_id`,
      [from.toISOString(), to.toISOString()],
    );
    const requestIds = [...new Set(items.map((i) => String(i.request_id)))];
    const reviews: Row[] = requestIds.length
      ? await this.db.query(`SELECT * FROM ${this.t.reviews} WHERE request_id = ANY($1) ORDER BY recorded_at, review_id`, [requestIds])
      : [];
    const grants: Row[] = requestIds.length
      ? await this.db.query(`SELECT * FROM ${this.t.grants} WHERE request_id = ANY($1) ORDER BY granted_at, grant_id`, [requestIds])
      : [];
    const key = (r: Row) => `${String(r.request_id)}\u0000${String(r.item_id)}`;
    const reviewsOf = groupBy(reviews, key);
    const grantsOf = groupBy(grants, key);
    return items.map((i): EvidenceRecord => ({
      requestId: String(i.request_id),
      itemId: String(i.item_id),
      requester: { id: String(i.requester_id), kind: String(i.requester_kind) },
      requestedBy: String(i.requested_by),
      onBehalf: Boolean(i.on_behalf),
      resourceId: String(i.resource_id),
      role: String(i.role),
      justification: String(i.justification),
      ticket: str(i.ticket),
      breakGlass: Boolean(i.break_glass),
      requestedAt: isoRequired(i.requested_at),
      policy: { tier: i.tier === null ? null : Number(i.tier), mode: str(i.policy_mode) },
      status: String(i.status),
      approval: {
        via: str(i.approved_via),
        reusedFrom: str(i.reused_from),
        approvedAt: iso(i.approved_at),
        approvalExpiresAt: iso(i.approval_expires_at),
        deniedBy: str(i.denied_by),
        denialReason: str(i.denial_reason),
        breakGlassRatifiedBy: str(i.break_glass_ratified_by),
        reviews: (reviewsOf.get(key(i)) ?? []).map((v): EvidenceApproval => ({
          reviewerId: String(v.reviewer_id),
          decision: String(v.decision),
          subject: String(v.subject),
          step: Number(v.step),
          stepName: String(v.step_name),
          comment: str(v.comment),
          recordedAt: isoRequired(v.recorded_at),
        })),
      },
      grants: (grantsOf.get(key(i)) ?? []).map((g): EvidenceGrant => ({
        grantId: String(g.grant_id),
        grantedAt: isoRequired(g.granted_at),
        expiresAt: isoRequired(g.expires_at),
        grantVerified: Boolean(g.grant_verified),
        grantAttestedBy: str(g.grant_attested_by),
        expiredAt: iso(g.expired_at),
        revocationRequestedAt: iso(g.revocation_requested_at),
        revocationReason: str(g.revocation_reason),
        revokedAt: iso(g.revoked_at),
        revocationVerified: g.revocation_verified === null ? null : Boolean(g.revocation_verified),
        revocationRetainedBy: str(g.revocation_retained_by),
        revocationAttestedBy: str(g.revocation_attested_by),
      })),
    }));
  }

  private async grants(where: string, params: unknown[]): Promise<GrantInterval[]> {
    const rows: Row[] = await this.db.query(`SELECT * FROM ${this.t.grants} WHERE ${where} ORDER BY granted_at, grant_id`, params);
    return rows.map(grantInterval);
  }
}

function grantInterval(g: Row): GrantInterval {
  return {
    grantId: String(g.grant_id),
    requestId: String(g.request_id),
    itemId: String(g.item_id),
    subject: { id: String(g.subject_id), kind: String(g.subject_kind) },
    resourceId: String(g.resource_id),
    role: String(g.role),
    breakGlass: Boolean(g.break_glass),
    grantVerified: Boolean(g.grant_verified),
    grantedAt: isoRequired(g.granted_at),
    expiresAt: isoRequired(g.expires_at),
    endedAt: iso(g.revoked_at),
    endReason: str(g.revocation_reason),
    revocationVerified: g.revocation_verified === null ? null : Boolean(g.revocation_verified),
  };
}

function groupBy(rows: Row[], key: (r: Row) => string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

function camel(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}
