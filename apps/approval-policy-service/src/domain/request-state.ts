import {
  evolve,
  initialState,
  openRound,
  type AccessRequestState,
  type ItemState,
  type RequestDetails,
} from '@kairos/access-request-domain';
import type { AccessRequestEvent } from '@kairos/contracts';

/**
 * This service's copy of a request: the request domain's own state, folded with the domain's own
 * `evolve` from `access-request.events`. No second lifecycle model lives here; the copy only feeds
 * inboxes and reuse. A review itself is checked against the request's stream (see
 * `AuthoritativeRequests`), so the copy's lag never refuses a valid review.
 */
export type Request = RequestDetails & { readonly status: 'open' | 'closed' };

export type Evolution =
  | { readonly kind: 'changed'; readonly state: Request }
  | { readonly kind: 'unchanged' }
  /** The event needs a request this copy never saw: with per-request ordering that is a broken stream. */
  | { readonly kind: 'unknown_request' };

export function applyEvent(current: Request | undefined, event: AccessRequestEvent): Evolution {
  if (!current && event.type !== 'AccessRequested') return { kind: 'unknown_request' };
  const next = evolve(current ?? initialState(), event);
  if (next === current || next.status === 'empty') return { kind: 'unchanged' };
  return { kind: 'changed', state: next };
}

export const asRequest = (state: AccessRequestState): Request | undefined => (state.status === 'empty' ? undefined : state);

/** True while some item could still take a review: such requests are read for inboxes. */
export const isOpen = (request: RequestDetails): boolean => request.items.some((item) => openRound(item) !== undefined);

export const itemOf = (request: RequestDetails, itemId: string): ItemState | undefined =>
  request.items.find((candidate) => candidate.itemId === itemId);
