/** One reviewer's decision, as evidence that a person (not a rule) approved. */
export interface EvidenceApproval {
  readonly reviewerId: string;
  readonly decision: string;
  readonly subject: string;
  readonly step: number;
  readonly stepName: string;
  readonly comment: string | null;
  readonly recordedAt: string;
}

export interface EvidenceGrant {
  readonly grantId: string;
  readonly grantedAt: string;
  readonly expiresAt: string;
  /** True only when the connector checked the target for exactly this identity and role. */
  readonly grantVerified: boolean;
  /** The person who fulfilled it by hand (their word, not a check), when a person did. */
  readonly grantAttestedBy: string | null;
  readonly expiredAt: string | null;
  readonly revocationRequestedAt: string | null;
  readonly revocationReason: string | null;
  readonly revokedAt: string | null;
  /** True only when the connector checked the target and the access is gone (false when other grants of the role keep it). */
  readonly revocationVerified: boolean | null;
  /** Live grants that still need the same role: this grant ended, the role stayed for them. */
  readonly revocationRetainedBy: string | null;
  /** The person who removed it by hand (their word, not a check), when a person did. */
  readonly revocationAttestedBy: string | null;
}

/** One requested item with its whole chain: who, what, why, who approved, when granted and removed. */
export interface EvidenceRecord {
  readonly requestId: string;
  readonly itemId: string;
  readonly requester: { readonly id: string; readonly kind: string };
  readonly requestedBy: string;
  readonly onBehalf: boolean;
  readonly resourceId: string;
  readonly role: string;
  readonly justification: string;
  readonly ticket: string | null;
  readonly breakGlass: boolean;
  readonly requestedAt: string;
  readonly policy: { readonly tier: number | null; readonly mode: string | null };
  readonly status: string;
  readonly approval: {
    readonly via: string | null;
    /** For `reused_approval`: the request/item whose approval people gave. */
    readonly reusedFrom: string | null;
    readonly approvedAt: string | null;
    readonly approvalExpiresAt: string | null;
    readonly deniedBy: string | null;
    readonly denialReason: string | null;
    readonly breakGlassRatifiedBy: string | null;
    readonly reviews: readonly EvidenceApproval[];
  };
  readonly grants: readonly EvidenceGrant[];
}

export interface EvidenceExport {
  readonly from: string;
  readonly to: string;
  readonly generatedAt: string;
  readonly controls: readonly string[];
  readonly records: readonly EvidenceRecord[];
}

export const EVIDENCE_CONTROLS = ['SOC 2 CC6.1', 'SOC 2 CC6.2', 'SOC 2 CC6.3', 'ISO/IEC 27001:2022 A.5.18'] as const;

export const EVIDENCE_CSV_COLUMNS = [
  'request_id',
  'item_id',
  'requester_id',
  'requester_kind',
  'requested_by',
  'on_behalf',
  'resource_id',
  'role',
  'justification',
  'ticket',
  'break_glass',
  'requested_at',
  'policy_tier',
  'policy_mode',
  'status',
  'approved_via',
  'reused_from',
  'approved_at',
  'approvers',
  'denied_by',
  'denial_reason',
  'break_glass_ratified_by',
  'grant_id',
  'granted_at',
  'expires_at',
  'grant_verified',
  'grant_attested_by',
  'revocation_reason',
  'revoked_at',
  'revocation_verified',
  'revocation_retained_by',
  'revocation_attested_by',
] as const;

/** One line per grant (or per item when it was never granted), approvals in one cell. */
export function evidenceToCsv(records: readonly EvidenceRecord[]): string {
  const lines = [EVIDENCE_CSV_COLUMNS.join(',')];
  for (const r of records) {
    const approvers = r.approval.reviews.map((a) => `${a.reviewerId}:${a.decision}:${a.stepName}@${a.recordedAt}`).join(' | ');
    const itemCells = [
      r.requestId,
      r.itemId,
      r.requester.id,
      r.requester.kind,
      r.requestedBy,
      r.onBehalf,
      r.resourceId,
      r.role,
      r.justification,
      r.ticket,
      r.breakGlass,
      r.requestedAt,
      r.policy.tier,
      r.policy.mode,
      r.status,
      r.approval.via,
      r.approval.reusedFrom,
      r.approval.approvedAt,
      approvers,
      r.approval.deniedBy,
      r.approval.denialReason,
      r.approval.breakGlassRatifiedBy,
    ];
    const grants: readonly (EvidenceGrant | null)[] = r.grants.length > 0 ? r.grants : [null];
    for (const g of grants) {
      const grantCells = g
        ? [
            g.grantId,
            g.grantedAt,
            g.expiresAt,
            g.grantVerified,
            g.grantAttestedBy,
            g.revocationReason,
            g.revokedAt,
            g.revocationVerified,
            g.revocationRetainedBy,
            g.revocationAttestedBy,
          ]
        : [null, null, null, null, null, null, null, null, null, null];
      lines.push([...itemCells, ...grantCells].map(csvCell).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * RFC 4180 quoting. Cells that a spreadsheet would run as a formula (a justification typed by the
 * requester starting with "=" for instance) are prefixed with a quote mark, so opening the export
 * cannot execute anything.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
