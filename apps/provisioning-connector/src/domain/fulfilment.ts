import type { ItemPolicySnapshot } from '@kairos/contracts';

/** What the connector keeps of an AccessRequested item: who asked, why, and who may fulfil it by hand. */
export interface RequestItemContext {
  readonly requestId: string;
  readonly itemId: string;
  readonly requesterId: string;
  readonly requestedBy: string;
  readonly justification: string;
  readonly ticket?: string;
  readonly resourceId: string;
  readonly role: string;
  /** Identity ids who may resolve this item's manual tickets besides admins. */
  readonly fulfillers: readonly string[];
}

/**
 * The resource's fulfillers as the policy snapshot recorded them: the resource owners, resolved at
 * submission (the approvers of a resource-owner step that was not filled by a fallback). The
 * catalogue has no fulfiller group; admins fulfil everything else.
 */
export function fulfillersOf(policy: ItemPolicySnapshot): string[] {
  // Recorded by the policy engine since snapshots carry them; older snapshots fall back to the owner step.
  if (policy.fulfillers !== undefined) return [...policy.fulfillers].sort();
  const owners = new Set<string>();
  for (const step of policy.steps) {
    const fallback = (step as { readonly fallback?: unknown }).fallback;
    if (step.mode === 'resource_owner' && fallback === undefined) for (const id of step.approvers) owners.add(id);
  }
  return [...owners].sort();
}

export type ResolveRefusal = 'own_request' | 'not_fulfiller';

/**
 * Who may complete or fail a ticket: an admin or one of the item's fulfillers, and never the
 * identity the access is for, the requester or whoever submitted the request on their behalf.
 */
export function refusalToResolve(
  principal: { readonly id: string; readonly roles: readonly string[] },
  ticket: { readonly subjectId: string; readonly requesterId?: string | null; readonly requestedBy?: string | null; readonly fulfillers?: readonly string[] | null },
): ResolveRefusal | undefined {
  if ([ticket.subjectId, ticket.requesterId, ticket.requestedBy].includes(principal.id)) return 'own_request';
  if (principal.roles.includes('admin')) return undefined;
  if ((ticket.fulfillers ?? []).includes(principal.id)) return undefined;
  return 'not_fulfiller';
}
