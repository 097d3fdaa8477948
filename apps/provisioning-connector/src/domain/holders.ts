/** An active grant as the connector recorded it (one row per grant that succeeded and was not revoked). */
export interface ActiveGrant {
  readonly grantId: string;
  readonly accessRole: string;
  readonly grantedAt: Date;
}

/**
 * How many of the retaining grants a revocation names (the earliest granted first). One is enough
 * to say why the role stayed; naming every one made the job row, the result message and the
 * AccessRevoked event grow with the grants the identity held (a CI bot with a grant per running
 * job held thousands at once), ADR 0007.
 */
export const RETAINED_BY_NAMED = 10;

/**
 * Reference counting per (identity, target, role): the other active grants that need exactly the
 * access this revocation would remove — the same access role, held by the same identity in the same
 * target (the caller passes that identity's grants in that target), at most RETAINED_BY_NAMED of
 * them. A grant of another role never keeps this one; a grant with no known role keeps nothing.
 * While any remain, the target is left alone and the revocation is recorded unverified with
 * `retainedBy` (ADR 0007).
 */
export function retainingGrants(revoked: { readonly grantId: string; readonly accessRole: string }, active: readonly ActiveGrant[]): string[] {
  if (!revoked.accessRole) return [];
  return active
    .filter((g) => g.grantId !== revoked.grantId && g.accessRole !== '' && g.accessRole === revoked.accessRole)
    .sort((a, b) => a.grantedAt.getTime() - b.grantedAt.getTime() || (a.grantId < b.grantId ? -1 : a.grantId > b.grantId ? 1 : 0))
    .slice(0, RETAINED_BY_NAMED)
    .map((g) => g.grantId);
}
