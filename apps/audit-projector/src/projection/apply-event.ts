import type { AccessRequested, AccessRequestEvent } from '@kairos/contracts';
import type { Queryable } from '@kairos/event-store';
import type { AuditTables } from './audit-schema';

const stringList = (value: unknown): string[] | null =>
  Array.isArray(value) && value.every((g) => typeof g === 'string') ? (value as string[]) : null;

/**
 * The requester's groups at submission: `requesterGroups` of the contract, or else `requester.groups`
 * that earlier producers sent outside it (a tolerant reader keeps them). Null when neither is there.
 */
function requesterGroups(data: AccessRequested['data']): string[] | null {
  return stringList(data.requesterGroups) ?? stringList((data.requester as { groups?: unknown }).groups);
}

/** Changes the read models for one valid event. Runs inside the projector's transaction. */
export async function applyEvent(tx: Queryable, t: AuditTables, event: AccessRequestEvent): Promise<void> {
  switch (event.type) {
    case 'AccessRequested': {
      const d = event.data;
      const groups = requesterGroups(d);
      await tx.query(
        `INSERT INTO ${t.requests} (request_id, requester_id, requester_kind, requester_groups, requested_by, on_behalf, justification, ticket, break_glass, duration, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (request_id) DO NOTHING`,
        [d.requestId, d.requester.id, d.requester.kind, groups ? JSON.stringify(groups) : null, d.requestedBy, d.onBehalf, d.justification, d.ticket ?? null, d.breakGlass, d.duration, d.requestedAt],
      );
      for (const item of d.items) {
        await tx.query(
          `INSERT INTO ${t.items} (request_id, item_id, resource_id, role, tier, policy_mode, status) VALUES ($1, $2, $3, $4, $5, $6, 'pending')
           ON CONFLICT (request_id, item_id) DO NOTHING`,
          [d.requestId, item.itemId, item.resourceId, item.role, item.policy.tier, item.policy.mode],
        );
      }
      return;
    }
    case 'ReviewRecorded': {
      const d = event.data;
      await tx.query(
        `INSERT INTO ${t.reviews} (request_id, review_id, item_id, reviewer_id, decision, subject, step, step_name, comment, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (request_id, review_id) DO NOTHING`,
        [d.requestId, d.reviewId, d.itemId, d.reviewerId, d.decision, d.subject, d.step, d.stepName, d.comment ?? null, d.recordedAt],
      );
      return;
    }
    case 'ItemApproved': {
      const d = event.data;
      await setItem(tx, t, d, `status = 'approved', approved_via = $3, approved_at = $4, approval_expires_at = $5`, [d.via, d.approvedAt, d.approvalExpiresAt]);
      return;
    }
    case 'ItemDenied': {
      const d = event.data;
      await setItem(tx, t, d, `status = 'denied', denied_by = $3, denial_reason = $4, closed_at = $5`, [d.deniedBy, d.reason, d.deniedAt]);
      return;
    }
    case 'BreakGlassInvoked':
      await setItem(tx, t, event.data, `break_glass_ratify_by = $3`, [event.data.ratifyBy]);
      return;
    case 'BreakGlassRatified':
      await setItem(tx, t, event.data, `break_glass_ratified_by = $3`, [event.data.ratifiedBy]);
      return;
    case 'GrantRequested':
      await setItem(tx, t, event.data, `status = 'provisioning'`, []);
      return;
    case 'ProvisioningFailed':
      if (event.data.final) await setItem(tx, t, event.data, `status = 'failed', closed_at = $3`, [event.data.failedAt]);
      return;
    case 'AccessGranted': {
      const d = event.data;
      await setItem(tx, t, d, `status = 'granted'`, []);
      await tx.query(
        `INSERT INTO ${t.grants} (grant_id, request_id, item_id, subject_id, subject_kind, resource_id, role, break_glass, grant_verified, granted_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (grant_id) DO NOTHING`,
        [d.grantId, d.requestId, d.itemId, d.subject.id, d.subject.kind, d.resourceId, d.role, d.breakGlass, d.verified, d.grantedAt, d.expiresAt],
      );
      return;
    }
    case 'AccessExtended':
      await setGrant(tx, t, event.data.grantId, `expires_at = $2`, [event.data.expiresAt]);
      return;
    case 'AccessExpired':
      await setGrant(tx, t, event.data.grantId, `expired_at = $2`, [event.data.expiredAt]);
      return;
    case 'RevocationRequested': {
      const d = event.data;
      await setItem(tx, t, d, `status = 'revoking'`, []);
      await setGrant(tx, t, d.grantId, `revocation_requested_at = $2, revocation_reason = $3`, [d.requestedAt, d.reason]);
      return;
    }
    case 'AccessRevoked': {
      const d = event.data;
      await setItem(tx, t, d, `status = 'revoked', closed_at = $3`, [d.revokedAt]);
      await setGrant(tx, t, d.grantId, `revoked_at = $2, revocation_reason = $3, revocation_verified = $4`, [d.revokedAt, d.reason, d.verified]);
      return;
    }
    case 'ApprovalExpired':
      await setItem(tx, t, event.data, `status = CASE WHEN status = 'approved' THEN 'approval_expired' ELSE status END`, []);
      return;
    case 'ItemExpired':
      await setItem(tx, t, event.data, `status = 'expired', closed_at = $3`, [event.data.expiredAt]);
      return;
    case 'ItemCancelled':
      await setItem(tx, t, event.data, `status = 'cancelled', closed_at = $3`, [event.data.cancelledAt]);
      return;
    // Kept in the timeline; no read model beyond it changes.
    case 'ApprovalStepPassed':
    case 'BreakGlassRatificationMissed':
    case 'ProvisioningStarted':
    case 'ExtensionRequested':
    case 'ExtensionDenied':
    case 'RevocationFailed':
      return;
    default: {
      const exhaustive: never = event;
      throw new Error(`unhandled event ${(exhaustive as { type: string }).type}`);
    }
  }
}

async function setItem(tx: Queryable, t: AuditTables, key: { requestId: string; itemId: string }, set: string, params: unknown[]): Promise<void> {
  await tx.query(`UPDATE ${t.items} SET ${set} WHERE request_id = $1 AND item_id = $2`, [key.requestId, key.itemId, ...params]);
}

async function setGrant(tx: Queryable, t: AuditTables, grantId: string, set: string, params: unknown[]): Promise<void> {
  await tx.query(`UPDATE ${t.grants} SET ${set} WHERE grant_id = $1`, [grantId, ...params]);
}
