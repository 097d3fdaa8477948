import type { RecordGrantFailed, RecordGrantSucceeded, RecordProvisioningStarted, RecordRevokeFailed, RecordRevokeSucceeded } from '../commands';
import { addDuration } from '../duration';
import { itemOrNothing, type Events, type Request } from './shared';

// Provisioning results: anything not about the item's current grant in the expected state is a
// duplicate or arrived late, and is dropped without events.

const pendingGrant = (state: Request, itemId: string, grantId: string) => {
  const item = itemOrNothing(state, itemId);
  if (!item || (item.status !== 'approved' && item.status !== 'provisioning')) return undefined;
  return item.grant?.grantId === grantId ? { item, grant: item.grant } : undefined;
};

export const recordProvisioningStarted = ({ data }: RecordProvisioningStarted, state: Request): Events => {
  const found = pendingGrant(state, data.itemId, data.grantId);
  if (!found || data.attempt <= found.grant.attempts) return [];
  return [
    {
      type: 'ProvisioningStarted',
      data: {
        requestId: state.requestId,
        itemId: data.itemId,
        grantId: data.grantId,
        attempt: data.attempt,
        ...(data.ticketId !== undefined ? { ticketId: data.ticketId } : {}),
        startedAt: data.at,
      },
    },
  ];
};

export const recordGrantSucceeded = ({ data }: RecordGrantSucceeded, state: Request): Events => {
  const found = pendingGrant(state, data.itemId, data.grantId);
  if (!found) return [];
  const { item } = found;
  return [
    {
      type: 'AccessGranted',
      data: {
        requestId: state.requestId,
        itemId: item.itemId,
        grantId: data.grantId,
        subject: state.requester,
        resourceId: item.resourceId,
        role: item.role,
        breakGlass: state.breakGlass,
        verified: data.verified,
        ...(data.fulfilledBy !== undefined ? { fulfilledBy: data.fulfilledBy } : {}),
        ...(data.comment !== undefined ? { comment: data.comment } : {}),
        grantedAt: data.at,
        expiresAt: addDuration(data.at, item.effectiveDuration),
      },
    },
  ];
};

export const recordGrantFailed = ({ data }: RecordGrantFailed, state: Request): Events => {
  const found = pendingGrant(state, data.itemId, data.grantId);
  if (!found || found.grant.failures.some((f) => f.attempt === data.attempt)) return [];
  return [
    {
      type: 'ProvisioningFailed',
      data: {
        requestId: state.requestId,
        itemId: data.itemId,
        grantId: data.grantId,
        attempt: data.attempt,
        reason: data.reason,
        final: data.final,
        ...(data.fulfilledBy !== undefined ? { fulfilledBy: data.fulfilledBy } : {}),
        ...(data.comment !== undefined ? { comment: data.comment } : {}),
        failedAt: data.at,
      },
    },
  ];
};

const revokingGrant = (state: Request, itemId: string, grantId: string) => {
  const item = itemOrNothing(state, itemId);
  return item?.status === 'revoking' && item.grant.grantId === grantId ? item : undefined;
};

export const recordRevokeSucceeded = ({ data }: RecordRevokeSucceeded, state: Request): Events => {
  const item = revokingGrant(state, data.itemId, data.grantId);
  if (!item) return [];
  return [
    {
      type: 'AccessRevoked',
      data: {
        requestId: state.requestId,
        itemId: item.itemId,
        grantId: data.grantId,
        subject: state.requester,
        resourceId: item.resourceId,
        role: item.role,
        reason: item.revocation.reason,
        // `verified` only when the target was checked and the access is gone; a role kept for
        // other live grants says so, and a person's word says who gave it.
        verified: data.verified && (data.retainedBy === undefined || data.retainedBy.length === 0),
        ...(data.retainedBy !== undefined && data.retainedBy.length > 0 ? { retainedBy: data.retainedBy } : {}),
        ...(data.fulfilledBy !== undefined ? { fulfilledBy: data.fulfilledBy } : {}),
        ...(data.comment !== undefined ? { comment: data.comment } : {}),
        revokedAt: data.at,
      },
    },
  ];
};

export const recordRevokeFailed = ({ data }: RecordRevokeFailed, state: Request): Events => {
  const item = revokingGrant(state, data.itemId, data.grantId);
  if (!item || item.revocation.failures.some((f) => f.attempt === data.attempt)) return [];
  return [
    {
      type: 'RevocationFailed',
      data: {
        requestId: state.requestId,
        itemId: item.itemId,
        grantId: data.grantId,
        attempt: data.attempt,
        reason: data.reason,
        final: data.final,
        failedAt: data.at,
      },
    },
  ];
};

