import type { Identity, InboxEntry } from '@kairos/approval-policy-domain';
import type { ItemStatus, RequestView } from '../read-model/request-view';
import { roundOf } from './reviewable';

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
  entry: InboxEntry,
  view: RequestView,
  requester: Identity | undefined,
  resourceName: string | undefined,
  earlier: readonly RequestView[],
): InboxItem {
  const item = view.items.find((candidate) => candidate.itemId === entry.itemId);
  if (!item) throw new Error(`inbox entry for unknown item ${entry.requestId}/${entry.itemId}`);
  const round = roundOf(item);
  const kind = entry.kind === 'ratification' ? 'ratification' : round.kind === 'extension' ? 'extension' : 'approval';
  const step = item.policy.steps[entry.stepIndex];
  const managerId = requester?.kind === 'service' ? requester.owner : requester?.managerId;
  return {
    requestId: view.requestId,
    itemId: item.itemId,
    kind,
    step:
      kind === 'ratification'
        ? { index: 0, name: entry.stepName, required: 1, approvers: item.breakGlass?.ratifiers ?? [] }
        : { index: entry.stepIndex, name: entry.stepName, required: step?.required ?? 1, approvers: step?.approvers ?? [] },
    deadline: entry.deadline,
    requester: {
      id: view.requester.id,
      kind: view.requester.kind,
      ...(requester ? { displayName: requester.displayName } : {}),
      ...(managerId ? { managerId } : {}),
    },
    ...(view.requestedBy !== view.requester.id ? { onBehalfOf: view.requestedBy } : {}),
    resource: { id: item.resourceId, name: resourceName ?? item.resourceId, role: item.role, tier: item.policy.tier },
    justification: view.justification,
    ...(view.ticket !== undefined ? { ticket: view.ticket } : {}),
    duration: item.duration,
    ...(kind === 'extension' && item.extension ? { extensionRequestedUntil: item.extension.requestedExpiresAt } : {}),
    breakGlass: view.breakGlass,
    requestedAt: view.requestedAt,
    history: similarRequests(view, item.resourceId, earlier),
  };
}

/** The requester's other requests for the same resource, newest first, with how each ended. */
export function similarRequests(current: RequestView, resourceId: string, earlier: readonly RequestView[]): SimilarRequest[] {
  return earlier
    .filter((view) => view.requestId !== current.requestId && view.requester.id === current.requester.id)
    .flatMap((view) =>
      view.items
        .filter((item) => item.resourceId === resourceId)
        .map((item) => ({
          requestId: view.requestId,
          itemId: item.itemId,
          role: item.role,
          requestedAt: view.requestedAt,
          justification: view.justification,
          outcome: item.status,
          breakGlass: view.breakGlass,
        })),
    )
    .sort((a, b) => (a.requestedAt < b.requestedAt ? 1 : a.requestedAt > b.requestedAt ? -1 : 0));
}
