import type { AccessRequestEvent, GrantRequested, RevocationReason, RevocationRequested } from '@kairos/contracts';
import type { Actor } from '../commands';
import { compareInstants } from '../duration';
import { fail } from '../errors';
import type { ItemOf, ItemState, RequestDetails } from '../state';

/** A request that exists (the decider's commands other than submission act on one). */
export type Request = RequestDetails & { readonly status: 'open' | 'closed' };
export type Events = AccessRequestEvent[];

export const isAdmin = (actor: Actor): boolean => actor.roles.includes('admin');

/** The grant id of an item's first (and, today, only) grant: stable across retries and replays. */
export const grantIdFor = (requestId: string, itemId: string): string => `${requestId}:${itemId}:1`;

// Named guards and lookups on items

export const findItem = (state: Request, itemId: string): ItemState => {
  const item = state.items.find((candidate) => candidate.itemId === itemId);
  return item ?? fail('ACCESS_REQUEST.ITEM_NOT_FOUND', `item ${itemId} is not part of this request`, { itemId });
};

/** For redelivered internal messages: an unknown item is a message for someone else, not a crash. */
export const itemOrNothing = (state: Request, itemId: string): ItemState | undefined =>
  state.items.find((candidate) => candidate.itemId === itemId);

export const assertRequesterOrAdmin = (state: Request, actor: Actor): void => {
  if (actor.id !== state.requester.id && !isAdmin(actor)) {
    fail('ACCESS_REQUEST.FORBIDDEN', 'only the requester or an admin may do this', { actorId: actor.id });
  }
};

export const revocationRequested = (
  state: Request,
  item: ItemState & { grant?: { grantId: string } },
  reason: RevocationReason,
  now: string,
  requestedBy?: string,
): RevocationRequested => ({
  type: 'RevocationRequested',
  data: {
    requestId: state.requestId,
    itemId: item.itemId,
    grantId: item.grant?.grantId ?? grantIdFor(state.requestId, item.itemId),
    reason,
    ...(requestedBy !== undefined ? { requestedBy } : {}),
    subject: state.requester,
    resourceId: item.resourceId,
    role: item.role,
    target: item.policy.target,
    requestedAt: now,
  },
});

export const grantFor = (state: Request, item: ItemState, now: string): GrantRequested => ({
  type: 'GrantRequested',
  data: {
    requestId: state.requestId,
    itemId: item.itemId,
    grantId: grantIdFor(state.requestId, item.itemId),
    subject: state.requester,
    resourceId: item.resourceId,
    role: item.role,
    target: item.policy.target,
    duration: item.effectiveDuration,
    breakGlass: state.breakGlass,
    requestedAt: now,
  },
});

export const isLiveAndCurrent = (item: ItemState, now: string): item is ItemOf<'active'> =>
  item.status === 'active' && compareInstants(item.grant.expiresAt, now) > 0;

