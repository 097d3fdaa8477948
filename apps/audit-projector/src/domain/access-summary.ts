import { csvCell } from './evidence';

/** A summary by requester group, when no recorded request carries the requester groups: nothing honest to say. */
export class NoGroupDataError extends Error {
  constructor() {
    super('no recorded request carries the requester groups');
  }
}

/** One grant as the audit read model keeps it: from its grant to its end (null while still held). */
export interface GrantInterval {
  readonly grantId: string;
  readonly requestId: string;
  readonly itemId: string;
  readonly subject: { readonly id: string; readonly kind: string };
  readonly resourceId: string;
  readonly role: string;
  readonly breakGlass: boolean;
  readonly grantVerified: boolean;
  readonly grantedAt: string;
  readonly expiresAt: string;
  /** When the access ended (revoked in the target); null while it is still held. */
  readonly endedAt: string | null;
  readonly endReason: string | null;
  readonly revocationVerified: boolean | null;
}

/** One grant under the resource, person or group an access summary is about. */
export interface AccessSummaryRow extends GrantInterval {
  readonly key: string;
}

export const SUMMARY_KEY_COLUMN = { resources: 'resource', identities: 'identity', groups: 'group' } as const;

export const ACCESS_SUMMARY_CSV_COLUMNS = [
  'identity',
  'identity_kind',
  'resource',
  'role',
  'granted_at',
  'expires_at',
  'ended_at',
  'end_reason',
  'break_glass',
  'grant_verified',
  'revocation_verified',
  'request_id',
  'item_id',
  'grant_id',
] as const;

/** Who had what, when, one grant a line, under the summary's own key first (resource, identity or group). */
export function accessSummaryToCsv(kind: keyof typeof SUMMARY_KEY_COLUMN, rows: readonly AccessSummaryRow[]): string {
  const lines = [[SUMMARY_KEY_COLUMN[kind], ...ACCESS_SUMMARY_CSV_COLUMNS].join(',')];
  for (const row of rows) {
    lines.push(
      [
        row.key,
        row.subject.id,
        row.subject.kind,
        row.resourceId,
        row.role,
        row.grantedAt,
        row.expiresAt,
        row.endedAt,
        row.endReason,
        row.breakGlass,
        row.grantVerified,
        row.revocationVerified,
        row.requestId,
        row.itemId,
        row.grantId,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
