import type { ItemState, ItemStatus, ReviewRound } from '@kairos/access-request-domain';
import type { Identity } from '@kairos/approval-policy-domain';
import type { Request } from '../../domain/request-state';

export interface SimilarRequest {
  readonly requestId: string;
  readonly itemId: string;
  readonly role: string;
  readonly requestedAt: string;
  readonly justification: string;
  readonly outcome: ItemStatus;
  readonly breakGlass: boolean;
}

export interface InboxItem {
  readonly requestId: string;
  readonly itemId: string;
  readonly kind: 'approval' | 'extension' | 'ratification';
  readonly step: { readonly index: number; readonly name: string; readonly required: number; readonly approvers: readonly string[] };
  readonly deadline: string;
  readonly requester: {
    readonly id: string;
    readonly kind: 'person' | 'service';
    readonly displayName?: string;
    /** A service account's owner stands in for its manager. */
    readonly managerId?: string;
  };
  readonly onBehalfOf?: string;
  readonly resource: { readonly id: string; readonly name: string; readonly role: string; readonly tier: number };
  readonly justification: string;
  readonly ticket?: string;
  readonly duration: string;
  readonly extensionRequestedUntil?: string;
  readonly breakGlass: boolean;
  readonly requestedAt: string;
  readonly history: readonly SimilarRequest[];
}

/** Everything an approver needs on one line of the inbox: who, what, why, how long, and what came before. */
export function inboxItem(
  request: Request,
  item: ItemState,
  round: ReviewRound,
  requester: Identity | undefined,
  resourceName: string | undefined,
  earlier: readonly Request[],
): InboxItem {
  const managerId = requester?.kind === 'service' ? requester.owner : requester?.managerId;
  return {
    requestId: request.requestId,
    itemId: item.itemId,
    kind: round.kind,
    step:
      round.kind === 'ratification'
        ? { index: 0, name: 'break-glass ratification', required: 1, approvers: round.ratifiers }
        : { index: round.step, name: round.snapshot.name, required: round.snapshot.required, approvers: round.snapshot.approvers },
    deadline: round.deadline,
    requester: {
      id: request.requester.id,
      kind: request.requester.kind,
      ...(requester ? { displayName: requester.displayName } : {}),
      ...(managerId ? { managerId } : {}),
    },
    ...(request.requestedBy !== request.requester.id ? { onBehalfOf: request.requestedBy } : {}),
    resource: { id: item.resourceId, name: resourceName ?? item.resourceId, role: item.role, tier: item.policy.tier },
    justification: request.justification,
    ...(request.ticket !== undefined ? { ticket: request.ticket } : {}),
    duration: item.effectiveDuration,
    ...(round.kind === 'extension' && item.status === 'active' && item.extension
      ? { extensionRequestedUntil: item.extension.requestedExpiresAt }
      : {}),
    breakGlass: request.breakGlass,
    requestedAt: request.requestedAt,
    history: similarRequests(request, item.resourceId, earlier),
  };
}

/** The requester's other requests for the same resource, newest first, with how each ended. */
export function similarRequests(current: Request, resourceId: string, earlier: readonly Request[]): SimilarRequest[] {
  return earlier
    .filter((other) => other.requestId !== current.requestId && other.requester.id === current.requester.id)
    .flatMap((other) =>
      other.items
        .filter((item) => item.resourceId === resourceId)
        .map((item) => ({
          requestId: other.requestId,
          itemId: item.itemId,
          role: item.role,
          requestedAt: other.requestedAt,
          justification: other.justification,
          outcome: item.status,
          breakGlass: other.breakGlass,
        })),
    )
    .sort((a, b) => (a.requestedAt < b.requestedAt ? 1 : a.requestedAt > b.requestedAt ? -1 : 0));
}
