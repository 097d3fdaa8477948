import type { AccessRequested, AccessRequestEvent } from '@kairos/contracts';

const stringList = (value: unknown): string[] | null =>
  Array.isArray(value) && value.every((g) => typeof g === 'string') ? (value as string[]) : null;

/**
 * The requester's groups at submission: `requesterGroups` of the contract, or else `requester.groups`
 * that earlier producers sent outside it (a tolerant reader keeps them). Null when neither is there.
 */
function requesterGroups(data: AccessRequested['data']): string[] | null {
  return stringList(data.requesterGroups) ?? stringList((data.requester as { groups?: unknown }).groups);
}

/** The audit read models (tables of the audit schema) an event may change. */
export type ReadModel = 'requests' | 'items' | 'reviews' | 'grants';

/**
 * One change to a read model. `insert` is `INSERT ... ON CONFLICT (key) DO NOTHING` (columns left out
 * are null); `update` is `UPDATE ... SET set WHERE key [AND when]`, changing nothing when no row matches.
 */
export type ReadModelChange =
  | { readonly kind: 'insert'; readonly table: ReadModel; readonly row: Readonly<Record<string, unknown>> }
  | {
      readonly kind: 'update';
      readonly table: 'items' | 'grants';
      readonly key: Readonly<Record<string, unknown>>;
      readonly set: Readonly<Record<string, unknown>>;
      readonly when?: Readonly<Record<string, unknown>>;
    };

type ItemKey = { requestId: string; itemId: string };
const setItem = (k: ItemKey, set: Record<string, unknown>, when?: Record<string, unknown>): ReadModelChange => ({
  kind: 'update',
  table: 'items',
  key: { request_id: k.requestId, item_id: k.itemId },
  set,
  ...(when ? { when } : {}),
});
const setGrant = (grantId: string, set: Record<string, unknown>): ReadModelChange => ({
  kind: 'update',
  table: 'grants',
  key: { grant_id: grantId },
  set,
});

/**
 * What one valid event changes in the read models, in order. The live projection runs these as SQL
 * (`applyEvent`); a replay applies them in memory and writes the result in bulk. One definition, so
 * the two cannot drift apart.
 */
export function readModelChanges(event: AccessRequestEvent): ReadModelChange[] {
  switch (event.type) {
    case 'AccessRequested': {
      const d = event.data;
      const groups = requesterGroups(d);
      return [
        {
          kind: 'insert',
          table: 'requests',
          row: {
            request_id: d.requestId,
            requester_id: d.requester.id,
            requester_kind: d.requester.kind,
            requester_groups: groups ? JSON.stringify(groups) : null,
            requested_by: d.requestedBy,
            on_behalf: d.onBehalf,
            justification: d.justification,
            ticket: d.ticket ?? null,
            break_glass: d.breakGlass,
            duration: d.duration,
            requested_at: d.requestedAt,
          },
        },
        ...d.items.map((item): ReadModelChange => ({
          kind: 'insert',
          table: 'items',
          row: {
            request_id: d.requestId,
            item_id: item.itemId,
            resource_id: item.resourceId,
            role: item.role,
            tier: item.policy.tier,
            policy_mode: item.policy.mode,
            status: 'pending',
          },
        })),
      ];
    }
    case 'ReviewRecorded': {
      const d = event.data;
      return [
        {
          kind: 'insert',
          table: 'reviews',
          row: {
            request_id: d.requestId,
            review_id: d.reviewId,
            item_id: d.itemId,
            reviewer_id: d.reviewerId,
            decision: d.decision,
            subject: d.subject,
            step: d.step,
            step_name: d.stepName,
            comment: d.comment ?? null,
            recorded_at: d.recordedAt,
          },
        },
      ];
    }
    case 'ItemApproved': {
      const d = event.data;
      return [
        setItem(d, {
          status: 'approved',
          approved_via: d.via,
          // A reuse points at the approval people gave, so the evidence can follow it to its approvers.
          reused_from: d.reusedFrom ? `${d.reusedFrom.requestId}/${d.reusedFrom.itemId}` : null,
          approved_at: d.approvedAt,
          approval_expires_at: d.approvalExpiresAt,
        }),
      ];
    }
    case 'ItemDenied': {
      const d = event.data;
      return [setItem(d, { status: 'denied', denied_by: d.deniedBy, denial_reason: d.reason, closed_at: d.deniedAt })];
    }
    case 'BreakGlassInvoked':
      return [setItem(event.data, { break_glass_ratify_by: event.data.ratifyBy })];
    case 'BreakGlassRatified':
      return [setItem(event.data, { break_glass_ratified_by: event.data.ratifiedBy })];
    case 'GrantRequested':
      return [setItem(event.data, { status: 'provisioning' })];
    case 'ProvisioningFailed':
      return event.data.final ? [setItem(event.data, { status: 'failed', closed_at: event.data.failedAt })] : [];
    case 'AccessGranted': {
      const d = event.data;
      return [
        setItem(d, { status: 'granted' }),
        {
          kind: 'insert',
          table: 'grants',
          row: {
            grant_id: d.grantId,
            request_id: d.requestId,
            item_id: d.itemId,
            subject_id: d.subject.id,
            subject_kind: d.subject.kind,
            resource_id: d.resourceId,
            role: d.role,
            break_glass: d.breakGlass,
            grant_verified: d.verified,
            // A person's word (manual fulfilment), recorded as theirs; null when the connector checked or nobody said.
            grant_attested_by: d.fulfilledBy ?? null,
            granted_at: d.grantedAt,
            expires_at: d.expiresAt,
          },
        },
      ];
    }
    case 'AccessExtended':
      return [setGrant(event.data.grantId, { expires_at: event.data.expiresAt })];
    case 'AccessExpired':
      return [setGrant(event.data.grantId, { expired_at: event.data.expiredAt })];
    case 'RevocationRequested': {
      const d = event.data;
      return [
        setItem(d, { status: 'revoking' }),
        setGrant(d.grantId, { revocation_requested_at: d.requestedAt, revocation_reason: d.reason }),
      ];
    }
    case 'AccessRevoked': {
      const d = event.data;
      return [
        setItem(d, { status: 'revoked', closed_at: d.revokedAt }),
        setGrant(d.grantId, {
          revoked_at: d.revokedAt,
          revocation_reason: d.reason,
          revocation_verified: d.verified,
          revocation_retained_by: d.retainedBy && d.retainedBy.length > 0 ? d.retainedBy.join(' ') : null,
          revocation_attested_by: d.fulfilledBy ?? null,
        }),
      ];
    }
    case 'ApprovalExpired':
      // Only an item still approved expires; any other status stays as it is.
      return [setItem(event.data, { status: 'approval_expired' }, { status: 'approved' })];
    case 'ItemExpired':
      return [setItem(event.data, { status: 'expired', closed_at: event.data.expiredAt })];
    case 'ItemCancelled':
      return [setItem(event.data, { status: 'cancelled', closed_at: event.data.cancelledAt })];
    // Kept in the timeline; no read model beyond it changes.
    case 'ApprovalStepPassed':
    case 'BreakGlassRatificationMissed':
    case 'ReviewEscalated':
    case 'ProvisioningStarted':
    case 'ExtensionRequested':
    case 'ExtensionDenied':
    case 'RevocationFailed':
      return [];
    default: {
      const exhaustive: never = event;
      throw new Error(`unhandled event ${(exhaustive as { type: string }).type}`);
    }
  }
}
