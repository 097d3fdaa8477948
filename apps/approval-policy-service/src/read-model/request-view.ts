import type { AccessRequestEvent, ItemPolicySnapshot, Subject } from '@kairos/contracts';

/**
 * This service's read copy of a request, folded from `access-request.events`. The request decider
 * is authoritative; this copy only answers "who may review what now" and "what did this person
 * ask before".
 */
export type ItemStatus =
  'awaiting_approval' | 'approved' | 'active' | 'denied' | 'expired' | 'cancelled' | 'revoking' | 'revoked' | 'failed';

export interface BreakGlassView {
  readonly ratifyBy: string;
  readonly ratifiers: readonly string[];
  readonly votes: readonly string[];
  readonly outcome: 'pending' | 'ratified' | 'rejected' | 'missed';
}

export interface ExtensionView {
  readonly extensionId: string;
  readonly stepIndex: number;
  readonly votes: readonly (readonly string[])[];
  /** Reviews of an extension are only useful while the current grant lasts. */
  readonly until: string;
  readonly requestedExpiresAt: string;
}

export interface ItemView {
  readonly itemId: string;
  readonly resourceId: string;
  readonly role: string;
  readonly policy: ItemPolicySnapshot;
  readonly pendingExpiresAt: string;
  readonly duration: string;
  readonly status: ItemStatus;
  readonly stepIndex: number;
  readonly votes: readonly (readonly string[])[];
  readonly breakGlass?: BreakGlassView;
  readonly extension?: ExtensionView;
}

export interface RequestView {
  readonly requestId: string;
  readonly requester: Subject;
  readonly requestedBy: string;
  readonly justification: string;
  readonly ticket?: string;
  readonly duration: string;
  readonly breakGlass: boolean;
  readonly requestedAt: string;
  readonly items: readonly ItemView[];
}

export type Evolution =
  | { readonly kind: 'changed'; readonly view: RequestView }
  | { readonly kind: 'unchanged' }
  /** The event needs a request this copy never saw: with per-request ordering that is a broken stream. */
  | { readonly kind: 'unknown_request' };

export function evolve(view: RequestView | undefined, event: AccessRequestEvent): Evolution {
  if (event.type === 'AccessRequested') {
    if (view) return { kind: 'unchanged' };
    const d = event.data;
    return {
      kind: 'changed',
      view: {
        requestId: d.requestId,
        requester: { id: d.requester.id, kind: d.requester.kind },
        requestedBy: d.requestedBy,
        justification: d.justification,
        ...(d.ticket !== undefined ? { ticket: d.ticket } : {}),
        duration: d.duration,
        breakGlass: d.breakGlass,
        requestedAt: d.requestedAt,
        items: d.items.map((item) => ({
          itemId: item.itemId,
          resourceId: item.resourceId,
          role: item.role,
          policy: item.policy,
          pendingExpiresAt: item.pendingExpiresAt,
          duration: d.duration,
          status: 'awaiting_approval',
          stepIndex: 0,
          votes: item.policy.steps.map(() => []),
        })),
      },
    };
  }
  if (!view) return { kind: 'unknown_request' };
  const item = view.items.find((candidate) => candidate.itemId === event.data.itemId);
  if (!item) return { kind: 'unchanged' };
  const next = evolveItem(item, event);
  if (next === item) return { kind: 'unchanged' };
  return {
    kind: 'changed',
    view: { ...view, items: view.items.map((candidate) => (candidate.itemId === item.itemId ? next : candidate)) },
  };
}

type ItemEvent = Exclude<AccessRequestEvent, { type: 'AccessRequested' }>;

function evolveItem(item: ItemView, event: ItemEvent): ItemView {
  switch (event.type) {
    case 'ReviewRecorded': {
      const d = event.data;
      switch (d.subject) {
        case 'approval':
          return { ...item, votes: withVote(item.votes, d.step, d.reviewerId) };
        case 'break_glass_ratification':
          return item.breakGlass
            ? { ...item, breakGlass: { ...item.breakGlass, votes: union(item.breakGlass.votes, [d.reviewerId]) } }
            : item;
        case 'extension':
          return item.extension && item.extension.extensionId === d.extensionId
            ? { ...item, extension: { ...item.extension, votes: withVote(item.extension.votes, d.step, d.reviewerId) } }
            : item;
        default:
          return assertNever(d.subject);
      }
    }
    case 'ApprovalStepPassed': {
      const d = event.data;
      if (d.extensionId !== undefined) {
        return item.extension && item.extension.extensionId === d.extensionId
          ? { ...item, extension: { ...item.extension, stepIndex: Math.max(item.extension.stepIndex, d.step + 1) } }
          : item;
      }
      return { ...item, stepIndex: Math.max(item.stepIndex, d.step + 1) };
    }
    case 'ItemApproved':
      return { ...item, status: 'approved', duration: event.data.duration };
    case 'ItemDenied':
      return { ...item, status: 'denied' };
    case 'ItemExpired':
      return { ...item, status: 'expired' };
    case 'ItemCancelled':
      return { ...item, status: 'cancelled' };
    case 'BreakGlassInvoked':
      return {
        ...item,
        breakGlass: { ratifyBy: event.data.ratifyBy, ratifiers: event.data.ratifiers, votes: [], outcome: 'pending' },
      };
    case 'BreakGlassRatified':
      return item.breakGlass ? { ...item, breakGlass: { ...item.breakGlass, outcome: 'ratified' } } : item;
    case 'BreakGlassRatificationMissed':
      return item.breakGlass ? { ...item, breakGlass: { ...item.breakGlass, outcome: 'missed' } } : item;
    case 'RevocationRequested': {
      const rejected = event.data.reason === 'break_glass_rejected' && item.breakGlass;
      return {
        ...item,
        status: 'revoking',
        ...(rejected && item.breakGlass ? { breakGlass: { ...item.breakGlass, outcome: 'rejected' as const } } : {}),
        extension: undefined,
      };
    }
    case 'AccessGranted':
      return { ...item, status: 'active' };
    case 'ProvisioningFailed':
      return event.data.final ? { ...item, status: 'failed' } : item;
    case 'ExtensionRequested': {
      const d = event.data;
      return {
        ...item,
        extension: {
          extensionId: d.extensionId,
          stepIndex: 0,
          votes: item.policy.steps.map(() => []),
          until: d.currentExpiresAt,
          requestedExpiresAt: d.requestedExpiresAt,
        },
      };
    }
    case 'ExtensionDenied':
    case 'AccessExtended':
      return item.extension ? { ...item, extension: undefined } : item;
    case 'AccessExpired':
      return { ...item, status: 'revoking', extension: undefined };
    case 'AccessRevoked':
      return { ...item, status: 'revoked', extension: undefined };
    case 'RevocationFailed':
    case 'GrantRequested':
    case 'ProvisioningStarted':
    case 'ApprovalExpired':
      return item;
    default:
      return assertNever(event);
  }
}

/** True while some item could still take a review: such requests are read for inboxes. */
export function isOpen(view: RequestView): boolean {
  return view.items.some(
    (item) =>
      item.status === 'awaiting_approval' ||
      (item.breakGlass?.outcome === 'pending' && (item.status === 'approved' || item.status === 'active')) ||
      (item.extension !== undefined && item.status === 'active'),
  );
}

function withVote(votes: readonly (readonly string[])[], step: number, reviewerId: string): (readonly string[])[] {
  const next = [...votes];
  while (next.length <= step) next.push([]);
  next[step] = union(next[step] ?? [], [reviewerId]);
  return next;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
