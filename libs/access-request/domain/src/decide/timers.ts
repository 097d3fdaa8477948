import type { AccessRequestEvent } from '@kairos/contracts';
import type { RecordTimerFired } from '../commands';
import { compareInstants } from '../duration';
import { assertNever } from '../state';
import { grantIdFor, itemOrNothing, revocationRequested, type Events, type Request } from './shared';

// Timers: the state, not the timer, decides whether anything is due. A timer set for an older
// expiry (the access was extended since) or an older grant finds nothing to do.

export const recordTimerFired = ({ data, metadata }: RecordTimerFired, state: Request): Events => {
  const { now } = metadata;
  const item = itemOrNothing(state, data.itemId);
  if (!item) return [];
  const due = (instant: string) => compareInstants(instant, now) <= 0;
  switch (data.kind) {
    case 'access_expiry': {
      if (item.status !== 'active' || !due(item.grant.expiresAt)) return [];
      if (data.grantId !== undefined && data.grantId !== item.grant.grantId) return [];
      return [
        {
          type: 'AccessExpired',
          data: {
            requestId: state.requestId,
            itemId: item.itemId,
            grantId: item.grant.grantId,
            expiresAt: item.grant.expiresAt,
            expiredAt: now,
          },
        },
        revocationRequested(state, item, 'expired', now),
      ];
    }
    case 'approval_expiry': {
      if ((item.status !== 'approved' && item.status !== 'provisioning') || !due(item.approval.approvalExpiresAt)) {
        return [];
      }
      const expired: AccessRequestEvent = {
        type: 'ApprovalExpired',
        data: {
          requestId: state.requestId,
          itemId: item.itemId,
          approvalExpiresAt: item.approval.approvalExpiresAt,
          expiredAt: now,
        },
      };
      return item.grant ? [expired, revocationRequested(state, item, 'approval_expired', now)] : [expired];
    }
    case 'pending_ttl': {
      if (item.status !== 'awaiting_approval' || !due(item.pendingExpiresAt)) return [];
      return [
        {
          type: 'ItemExpired',
          data: {
            requestId: state.requestId,
            itemId: item.itemId,
            pendingExpiresAt: item.pendingExpiresAt,
            expiredAt: now,
          },
        },
      ];
    }
    case 'break_glass_review': {
      const live = item.status === 'approved' || item.status === 'provisioning' || item.status === 'active';
      if (!live || !item.breakGlass || item.breakGlass.ratifiedBy || !due(item.breakGlass.ratifyBy)) return [];
      return [
        {
          type: 'BreakGlassRatificationMissed',
          data: {
            requestId: state.requestId,
            itemId: item.itemId,
            grantId: item.grant?.grantId ?? grantIdFor(state.requestId, item.itemId),
            ratifyBy: item.breakGlass.ratifyBy,
            missedAt: now,
          },
        },
        revocationRequested(state, item, 'break_glass_not_ratified', now),
      ];
    }
    default:
      return assertNever(data.kind, 'timer kind');
  }
};
