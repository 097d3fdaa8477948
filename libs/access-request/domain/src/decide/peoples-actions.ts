import type { AccessRequestEvent } from '@kairos/contracts';
import type { CancelAccessRequest, ExtendAccess, ReleaseAccess, RevokeAccess } from '../commands';
import { addDuration, compareInstants, isDuration } from '../duration';
import { fail } from '../errors';
import type { ItemState } from '../state';
import { assertRequesterOrAdmin, findItem, isAdmin, isLiveAndCurrent, revocationRequested, type Events, type Request } from './shared';

// People's commands

export const cancel = ({ data, metadata }: CancelAccessRequest, state: Request): Events => {
  assertRequesterOrAdmin(state, metadata.actor);
  const cancellable = (item: ItemState) =>
    item.status === 'awaiting_approval' || item.status === 'approved' || item.status === 'provisioning';
  const targets = data.itemIds ? data.itemIds.map((id) => findItem(state, id)) : state.items.filter(cancellable);
  const refused = targets.find((item) => !cancellable(item));
  if (refused || targets.length === 0) {
    return fail('ACCESS_REQUEST.NOT_PENDING', 'only items not yet granted can be cancelled', {
      itemId: refused?.itemId,
      status: refused?.status,
    });
  }
  return targets.flatMap((item): Events => {
    const cancelled: AccessRequestEvent = {
      type: 'ItemCancelled',
      data: {
        requestId: state.requestId,
        itemId: item.itemId,
        cancelledBy: metadata.actor.id,
        ...(data.reason !== undefined ? { reason: data.reason } : {}),
        cancelledAt: metadata.now,
      },
    };
    // A grant may already be on its way: the connector must undo it, whatever it did.
    const inFlight = (item.status === 'approved' || item.status === 'provisioning') && item.grant !== undefined;
    return inFlight
      ? [cancelled, revocationRequested(state, item, 'cancelled', metadata.now, metadata.actor.id)]
      : [cancelled];
  });
};

export const release = ({ data, metadata }: ReleaseAccess, state: Request): Events => {
  assertRequesterOrAdmin(state, metadata.actor);
  const item = findItem(state, data.itemId);
  if (item.status !== 'active') {
    return fail('ACCESS_REQUEST.NOT_ACTIVE', `item ${item.itemId} has no active access to release`, {
      itemId: item.itemId,
      status: item.status,
    });
  }
  return [revocationRequested(state, item, 'released', metadata.now, metadata.actor.id)];
};

export const revoke = ({ data, metadata }: RevokeAccess, state: Request): Events => {
  if (!isAdmin(metadata.actor)) {
    return fail('ACCESS_REQUEST.FORBIDDEN', 'only an admin may revoke access', { actorId: metadata.actor.id });
  }
  const item = findItem(state, data.itemId);
  const revocable =
    item.status === 'active' || ((item.status === 'approved' || item.status === 'provisioning') && item.grant);
  if (!revocable) {
    return fail('ACCESS_REQUEST.NOT_ACTIVE', `item ${item.itemId} has no grant to revoke`, {
      itemId: item.itemId,
      status: item.status,
    });
  }
  return [revocationRequested(state, item, 'revoked_by_admin', metadata.now, metadata.actor.id)];
};

export const extend = ({ data, metadata }: ExtendAccess, state: Request): Events => {
  const { now, actor } = metadata;
  assertRequesterOrAdmin(state, actor);
  const item = findItem(state, data.itemId);
  if (!isLiveAndCurrent(item, now)) {
    return fail('ACCESS_REQUEST.NOT_ACTIVE', `item ${item.itemId} has no active access to extend`, {
      itemId: item.itemId,
      status: item.status,
    });
  }
  if (item.breakGlass) {
    return fail('ACCESS_REQUEST.NOT_EXTENDABLE', 'break-glass access cannot be extended; request access normally', {
      itemId: item.itemId,
    });
  }
  if (item.extension) {
    return fail('ACCESS_REQUEST.EXTENSION_PENDING', 'an extension of this item is already waiting for review', {
      extensionId: item.extension.extensionId,
    });
  }
  if ((data.extendTo === undefined) === (data.by === undefined)) {
    return fail('ACCESS_REQUEST.INVALID_EXTENSION', 'give exactly one of extendTo and by');
  }
  if (data.by !== undefined && !isDuration(data.by)) {
    return fail('ACCESS_REQUEST.INVALID_DURATION', 'by must be an ISO 8601 duration', { by: data.by });
  }
  if (data.extendTo !== undefined && Number.isNaN(Date.parse(data.extendTo))) {
    return fail('ACCESS_REQUEST.INVALID_EXTENSION', 'extendTo must be an ISO 8601 instant', {
      extendTo: data.extendTo,
    });
  }
  const current = item.grant.expiresAt;
  const expiresAt =
    data.extendTo !== undefined
      ? new Date(Date.parse(data.extendTo)).toISOString()
      : addDuration(current, data.by ?? 'PT0S');
  if (compareInstants(expiresAt, current) <= 0) {
    return fail('ACCESS_REQUEST.INVALID_EXTENSION', 'an extension must move the expiry later', {
      expiresAt: current,
      requested: expiresAt,
    });
  }
  const limit = addDuration(item.grant.grantedAt, item.policy.maxDuration);
  if (compareInstants(expiresAt, limit) > 0) {
    return fail('ACCESS_REQUEST.DURATION_EXCEEDED', `this access may last at most ${item.policy.maxDuration}`, {
      grantedAt: item.grant.grantedAt,
      maxDuration: item.policy.maxDuration,
      latestExpiry: limit,
    });
  }
  const approvalValid = compareInstants(item.approval.approvalExpiresAt, now) > 0;
  const needsReview = item.policy.steps.length > 0 && (item.policy.extensionRequiresApproval || !approvalValid);
  if (!needsReview) {
    return [
      {
        type: 'AccessExtended',
        data: {
          requestId: state.requestId,
          itemId: item.itemId,
          grantId: item.grant.grantId,
          via: 'policy',
          extensionId: data.extensionId,
          previousExpiresAt: current,
          expiresAt,
          extendedAt: now,
        },
      },
    ];
  }
  return [
    {
      type: 'ExtensionRequested',
      data: {
        requestId: state.requestId,
        itemId: item.itemId,
        grantId: item.grant.grantId,
        extensionId: data.extensionId,
        requestedBy: actor.id,
        currentExpiresAt: current,
        requestedExpiresAt: expiresAt,
        requestedAt: now,
      },
    },
  ];
};

