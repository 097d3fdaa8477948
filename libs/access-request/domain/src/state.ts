import { assertNever } from '@kairos/contracts';
import type {
  AccessRequestEvent,
  ApprovalVia,
  ItemPolicySnapshot,
  ReviewDecision,
  ReviewSubjectKind,
  RevocationReason,
  Subject,
} from '@kairos/contracts';

export interface RecordedReview {
  readonly reviewId: string;
  readonly reviewerId: string;
  readonly decision: ReviewDecision;
  readonly subject: ReviewSubjectKind;
  readonly step: number;
  readonly extensionId?: string;
  readonly shortenDurationTo?: string;
  readonly recordedAt: string;
}

export interface Approval {
  readonly via: ApprovalVia;
  readonly approvedAt: string;
  readonly approvalExpiresAt: string;
}

export interface AttemptFailure {
  readonly attempt: number;
  readonly reason: string;
  readonly final: boolean;
  readonly at: string;
}

export interface Grant {
  readonly grantId: string;
  readonly duration: string;
  readonly requestedAt: string;
  /** Highest provisioning attempt started. */
  readonly attempts: number;
  readonly failures: readonly AttemptFailure[];
  readonly ticketId?: string;
  readonly grantedAt?: string;
  readonly expiresAt?: string;
  readonly verified?: boolean;
}

export interface LiveGrant extends Grant {
  readonly grantedAt: string;
  readonly expiresAt: string;
  readonly verified: boolean;
}

export interface PendingExtension {
  readonly extensionId: string;
  readonly requestedBy: string;
  readonly requestedExpiresAt: string;
  readonly requestedAt: string;
  /** Index of the approval step the extension waits on. */
  readonly step: number;
}

export interface Revocation {
  readonly reason: RevocationReason;
  readonly requestedAt: string;
  readonly requestedBy?: string;
  readonly failures: readonly AttemptFailure[];
}

export interface BreakGlass {
  readonly ratifyBy: string;
  readonly ratifiers: readonly string[];
  readonly ratifiedBy?: string;
  readonly missed?: boolean;
}

export interface ItemBase {
  readonly itemId: string;
  readonly resourceId: string;
  readonly role: string;
  readonly policy: ItemPolicySnapshot;
  readonly pendingExpiresAt: string;
  readonly requestedDuration: string;
  /** The requested duration, possibly shortened by reviewers. */
  readonly effectiveDuration: string;
  readonly reviews: readonly RecordedReview[];
  readonly breakGlass?: BreakGlass;
}

export type ExpiredBy = 'pending_ttl' | 'approval_expired' | 'access_expired';

export type ItemState = ItemBase &
  (
    | { readonly status: 'awaiting_approval'; readonly step: number }
    | { readonly status: 'approved'; readonly approval: Approval; readonly grant?: Grant }
    | { readonly status: 'provisioning'; readonly approval: Approval; readonly grant: Grant }
    | {
        readonly status: 'active';
        readonly approval: Approval;
        readonly grant: LiveGrant;
        readonly extension?: PendingExtension;
      }
    | {
        readonly status: 'revoking';
        readonly approval: Approval;
        readonly grant: Grant;
        readonly revocation: Revocation;
      }
    | {
        readonly status: 'expired';
        readonly expiredBy: ExpiredBy;
        readonly endedAt: string;
        readonly approval?: Approval;
        readonly grant?: Grant;
      }
    | {
        readonly status: 'revoked';
        readonly approval: Approval;
        readonly grant: Grant;
        readonly revocation: Revocation;
        readonly endedAt: string;
      }
    | { readonly status: 'denied'; readonly deniedBy: string; readonly reason: string; readonly endedAt: string }
    | {
        readonly status: 'cancelled';
        readonly cancelledBy: string;
        readonly reason?: string;
        readonly endedAt: string;
        readonly approval?: Approval;
        readonly grant?: Grant;
      }
    | {
        readonly status: 'failed';
        readonly approval: Approval;
        readonly grant: Grant;
        readonly reason: string;
        readonly endedAt: string;
      }
  );

export type ItemStatus = ItemState['status'];
export type ItemOf<S extends ItemStatus> = Extract<ItemState, { status: S }>;

/** Every status an item can have, in lifecycle order (for API documents; the compiler keeps it complete). */
export const ITEM_STATUSES = [
  'awaiting_approval',
  'approved',
  'provisioning',
  'active',
  'revoking',
  'expired',
  'revoked',
  'denied',
  'cancelled',
  'failed',
] as const satisfies readonly ItemStatus[];
const _everyItemStatusListed: Exclude<ItemStatus, (typeof ITEM_STATUSES)[number]> extends never ? true : never = true;

export const TERMINAL_ITEM_STATUSES = ['expired', 'revoked', 'denied', 'cancelled', 'failed'] as const;
export type TerminalItemStatus = (typeof TERMINAL_ITEM_STATUSES)[number];

export const isTerminal = (item: ItemState): boolean =>
  (TERMINAL_ITEM_STATUSES as readonly string[]).includes(item.status);

export interface RequestDetails {
  readonly requestId: string;
  readonly requester: Subject;
  readonly requestedBy: string;
  readonly onBehalf: boolean;
  readonly justification: string;
  readonly duration: string;
  readonly ticket?: string;
  readonly breakGlass: boolean;
  readonly requestedAt: string;
  readonly items: readonly ItemState[];
}

/** `open` while any item can still change, `closed` when every item reached its terminal state. */
export type AccessRequestState =
  | { readonly status: 'empty' }
  | (RequestDetails & { readonly status: 'open' })
  | (RequestDetails & { readonly status: 'closed' });

export const initialState = (): AccessRequestState => ({ status: 'empty' });

export { assertNever };

const baseOf = (item: ItemState): ItemBase => ({
  itemId: item.itemId,
  resourceId: item.resourceId,
  role: item.role,
  policy: item.policy,
  pendingExpiresAt: item.pendingExpiresAt,
  requestedDuration: item.requestedDuration,
  effectiveDuration: item.effectiveDuration,
  reviews: item.reviews,
  ...(item.breakGlass ? { breakGlass: item.breakGlass } : {}),
});

const withItem = (
  state: AccessRequestState,
  itemId: string,
  change: (item: ItemState) => ItemState,
): AccessRequestState => {
  if (state.status === 'empty') return state;
  const items = state.items.map((item) => (item.itemId === itemId ? change(item) : item));
  return { ...state, items, status: items.every(isTerminal) ? 'closed' : 'open' };
};

const hasGrant = (item: ItemState, grantId: string): item is ItemOf<'approved' | 'provisioning'> & { grant: Grant } =>
  (item.status === 'approved' || item.status === 'provisioning') && item.grant?.grantId === grantId;

const terminalAfterRevocation = (item: ItemOf<'revoking'>, revokedAt: string, verified: boolean): ItemState => {
  const base = baseOf(item);
  const grant = { ...item.grant, verified };
  switch (item.revocation.reason) {
    case 'expired':
      return {
        ...base,
        status: 'expired',
        expiredBy: 'access_expired',
        endedAt: revokedAt,
        approval: item.approval,
        grant,
      };
    case 'approval_expired':
      return {
        ...base,
        status: 'expired',
        expiredBy: 'approval_expired',
        endedAt: revokedAt,
        approval: item.approval,
        grant,
      };
    case 'cancelled':
      return {
        ...base,
        status: 'cancelled',
        cancelledBy: item.revocation.requestedBy ?? 'unknown',
        endedAt: revokedAt,
        approval: item.approval,
        grant,
      };
    case 'released':
    case 'revoked_by_admin':
    case 'break_glass_not_ratified':
    case 'break_glass_rejected':
      return {
        ...base,
        status: 'revoked',
        approval: item.approval,
        grant,
        revocation: item.revocation,
        endedAt: revokedAt,
      };
    default:
      return assertNever(item.revocation.reason, 'revocation reason');
  }
};

/** Folds one recorded event into the state. Never rejects an event: the stream is the truth. */
export const evolve = (state: AccessRequestState, event: AccessRequestEvent): AccessRequestState => {
  switch (event.type) {
    case 'AccessRequested': {
      const d = event.data;
      if (state.status !== 'empty') return state;
      return {
        status: 'open',
        requestId: d.requestId,
        requester: d.requester,
        requestedBy: d.requestedBy,
        onBehalf: d.onBehalf,
        justification: d.justification,
        duration: d.duration,
        ...(d.ticket !== undefined ? { ticket: d.ticket } : {}),
        breakGlass: d.breakGlass,
        requestedAt: d.requestedAt,
        items: d.items.map((item) => ({
          itemId: item.itemId,
          resourceId: item.resourceId,
          role: item.role,
          policy: item.policy,
          pendingExpiresAt: item.pendingExpiresAt,
          requestedDuration: d.duration,
          effectiveDuration: d.duration,
          reviews: [],
          status: 'awaiting_approval',
          step: 0,
        })),
      };
    }
    case 'ReviewRecorded': {
      const d = event.data;
      return withItem(state, d.itemId, (item) => {
        const review: RecordedReview = {
          reviewId: d.reviewId,
          reviewerId: d.reviewerId,
          decision: d.decision,
          subject: d.subject,
          step: d.step,
          recordedAt: d.recordedAt,
          ...(d.extensionId !== undefined ? { extensionId: d.extensionId } : {}),
          ...(d.shortenDurationTo !== undefined ? { shortenDurationTo: d.shortenDurationTo } : {}),
        };
        const shortened =
          d.subject === 'approval' && d.decision === 'approve' && d.shortenDurationTo !== undefined
            ? { effectiveDuration: d.shortenDurationTo }
            : {};
        return { ...item, ...shortened, reviews: [...item.reviews, review] };
      });
    }
    case 'ApprovalStepPassed': {
      const d = event.data;
      return withItem(state, d.itemId, (item) => {
        if (d.extensionId === undefined && item.status === 'awaiting_approval') return { ...item, step: d.step + 1 };
        if (d.extensionId !== undefined && item.status === 'active' && item.extension?.extensionId === d.extensionId) {
          return { ...item, extension: { ...item.extension, step: d.step + 1 } };
        }
        return item;
      });
    }
    case 'ItemApproved': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        item.status === 'awaiting_approval'
          ? {
              ...baseOf(item),
              effectiveDuration: d.duration,
              status: 'approved',
              approval: { via: d.via, approvedAt: d.approvedAt, approvalExpiresAt: d.approvalExpiresAt },
            }
          : item,
      );
    }
    case 'ItemDenied': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        item.status === 'awaiting_approval'
          ? { ...baseOf(item), status: 'denied', deniedBy: d.deniedBy, reason: d.reason, endedAt: d.deniedAt }
          : item,
      );
    }
    case 'BreakGlassInvoked': {
      const d = event.data;
      return withItem(state, d.itemId, (item) => ({
        ...item,
        breakGlass: { ratifyBy: d.ratifyBy, ratifiers: d.ratifiers },
      }));
    }
    case 'BreakGlassRatified': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        item.breakGlass ? { ...item, breakGlass: { ...item.breakGlass, ratifiedBy: d.ratifiedBy } } : item,
      );
    }
    case 'BreakGlassRatificationMissed': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        item.breakGlass ? { ...item, breakGlass: { ...item.breakGlass, missed: true } } : item,
      );
    }
    case 'ReviewEscalated': {
      // The added people are eligible for the step from now on: the step's snapshot carries them, so
      // canReview accepts them exactly as it accepts the approvers named at submission.
      const d = event.data;
      return withItem(state, d.itemId, (item) => {
        const snapshot = item.policy.steps[d.step];
        if (item.status !== 'awaiting_approval' || item.step !== d.step || !snapshot) return item;
        const approvers = [...snapshot.approvers, ...d.approvers.filter((id) => !snapshot.approvers.includes(id))];
        const steps = item.policy.steps.map((step, index) => (index === d.step ? { ...step, approvers } : step));
        return { ...item, policy: { ...item.policy, steps } };
      });
    }
    case 'GrantRequested': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        item.status === 'approved' && !item.grant
          ? {
              ...item,
              grant: {
                grantId: d.grantId,
                duration: d.duration,
                requestedAt: d.requestedAt,
                attempts: 0,
                failures: [],
              },
            }
          : item,
      );
    }
    case 'ProvisioningStarted': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        hasGrant(item, d.grantId)
          ? {
              ...baseOf(item),
              status: 'provisioning',
              approval: item.approval,
              grant: {
                ...item.grant,
                attempts: Math.max(item.grant.attempts, d.attempt),
                ...(d.ticketId !== undefined ? { ticketId: d.ticketId } : {}),
              },
            }
          : item,
      );
    }
    case 'ProvisioningFailed': {
      const d = event.data;
      return withItem(state, d.itemId, (item) => {
        if (!hasGrant(item, d.grantId)) return item;
        const grant: Grant = {
          ...item.grant,
          attempts: Math.max(item.grant.attempts, d.attempt),
          failures: [...item.grant.failures, { attempt: d.attempt, reason: d.reason, final: d.final, at: d.failedAt }],
        };
        return d.final
          ? { ...baseOf(item), status: 'failed', approval: item.approval, grant, reason: d.reason, endedAt: d.failedAt }
          : { ...baseOf(item), status: 'provisioning', approval: item.approval, grant };
      });
    }
    case 'AccessGranted': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        hasGrant(item, d.grantId)
          ? {
              ...baseOf(item),
              status: 'active',
              approval: item.approval,
              grant: { ...item.grant, grantedAt: d.grantedAt, expiresAt: d.expiresAt, verified: d.verified },
            }
          : item,
      );
    }
    case 'ExtensionRequested': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        item.status === 'active' && item.grant.grantId === d.grantId
          ? {
              ...item,
              extension: {
                extensionId: d.extensionId,
                requestedBy: d.requestedBy,
                requestedExpiresAt: d.requestedExpiresAt,
                requestedAt: d.requestedAt,
                step: 0,
              },
            }
          : item,
      );
    }
    case 'ExtensionDenied':
    case 'AccessExpired': {
      const d = event.data;
      return withItem(state, d.itemId, (item) => {
        if (item.status !== 'active' || !item.extension) return item;
        const { extension: _dropped, ...rest } = item;
        return rest;
      });
    }
    case 'AccessExtended': {
      const d = event.data;
      return withItem(state, d.itemId, (item) => {
        if (item.status !== 'active' || item.grant.grantId !== d.grantId) return item;
        const { extension: _done, ...rest } = item;
        return { ...rest, grant: { ...item.grant, expiresAt: d.expiresAt } };
      });
    }
    case 'RevocationRequested': {
      const d = event.data;
      return withItem(state, d.itemId, (item) => {
        const live = item.status === 'approved' || item.status === 'provisioning' || item.status === 'active';
        if (!live || item.grant?.grantId !== d.grantId) return item;
        return {
          ...baseOf(item),
          status: 'revoking',
          approval: item.approval,
          grant: item.grant,
          revocation: {
            reason: d.reason,
            requestedAt: d.requestedAt,
            ...(d.requestedBy !== undefined ? { requestedBy: d.requestedBy } : {}),
            failures: [],
          },
        };
      });
    }
    case 'RevocationFailed': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        item.status === 'revoking' && item.grant.grantId === d.grantId
          ? {
              ...item,
              revocation: {
                ...item.revocation,
                failures: [
                  ...item.revocation.failures,
                  { attempt: d.attempt, reason: d.reason, final: d.final, at: d.failedAt },
                ],
              },
            }
          : item,
      );
    }
    case 'AccessRevoked': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        item.status === 'revoking' && item.grant.grantId === d.grantId
          ? terminalAfterRevocation(item, d.revokedAt, d.verified)
          : item,
      );
    }
    case 'ApprovalExpired': {
      const d = event.data;
      // With a grant requested, the RevocationRequested that follows moves the item.
      return withItem(state, d.itemId, (item) =>
        item.status === 'approved' && !item.grant
          ? {
              ...baseOf(item),
              status: 'expired',
              expiredBy: 'approval_expired',
              endedAt: d.expiredAt,
              approval: item.approval,
            }
          : item,
      );
    }
    case 'ItemExpired': {
      const d = event.data;
      return withItem(state, d.itemId, (item) =>
        item.status === 'awaiting_approval'
          ? { ...baseOf(item), status: 'expired', expiredBy: 'pending_ttl', endedAt: d.expiredAt }
          : item,
      );
    }
    case 'ItemCancelled': {
      const d = event.data;
      // A cancelled item with a grant requested ends when the RevocationRequested that follows is confirmed.
      return withItem(state, d.itemId, (item) =>
        item.status === 'awaiting_approval' || (item.status === 'approved' && !item.grant)
          ? {
              ...baseOf(item),
              status: 'cancelled',
              cancelledBy: d.cancelledBy,
              ...(d.reason !== undefined ? { reason: d.reason } : {}),
              endedAt: d.cancelledAt,
              ...(item.status === 'approved' ? { approval: item.approval } : {}),
            }
          : item,
      );
    }
    default:
      return assertNever(event, 'event');
  }
};

export const fold = (
  events: readonly AccessRequestEvent[],
  from: AccessRequestState = initialState(),
): AccessRequestState => events.reduce(evolve, from);
