import type { ApprovalVia, RevocationReason } from '@kairos/contracts';
import { assertNever, isTerminal, type AccessRequestState, type Grant, type ItemState, type ItemStatus } from './state';

export type RequestStatus =
  | 'pending_approval'
  | 'provisioning'
  | 'active'
  | 'revoking'
  | 'denied'
  | 'cancelled'
  | 'failed'
  | 'expired'
  | 'completed';

export interface ItemView {
  readonly itemId: string;
  readonly resourceId: string;
  readonly role: string;
  readonly status: ItemStatus;
  readonly terminal: boolean;
  readonly duration: string;
  readonly currentStep?: {
    readonly index: number;
    readonly name: string;
    readonly approvals: number;
    readonly required: number;
  };
  readonly pendingExpiresAt?: string;
  readonly approval?: { readonly via: ApprovalVia; readonly approvedAt: string; readonly approvalExpiresAt: string };
  readonly grantId?: string;
  readonly grantedAt?: string;
  readonly expiresAt?: string;
  readonly verified?: boolean;
  readonly provisioningAttempts?: number;
  readonly lastFailure?: {
    readonly attempt: number;
    readonly reason: string;
    readonly final: boolean;
    readonly at: string;
  };
  readonly revocationReason?: RevocationReason;
  readonly pendingExtension?: { readonly extensionId: string; readonly requestedExpiresAt: string };
  readonly breakGlass?: { readonly ratifyBy: string; readonly ratifiedBy?: string; readonly missed: boolean };
  readonly reviews: number;
  readonly endedAt?: string;
  readonly outcomeReason?: string;
}

export interface AccessRequestView {
  readonly requestId: string;
  readonly status: RequestStatus;
  readonly requester: { readonly id: string; readonly kind: 'person' | 'service' };
  readonly requestedBy: string;
  readonly onBehalf: boolean;
  readonly justification: string;
  readonly duration: string;
  readonly ticket?: string;
  readonly breakGlass: boolean;
  readonly requestedAt: string;
  readonly items: readonly ItemView[];
  readonly counts: Readonly<Partial<Record<ItemStatus, number>>>;
}

const itemView = (item: ItemState): ItemView => {
  const common = {
    itemId: item.itemId,
    resourceId: item.resourceId,
    role: item.role,
    status: item.status,
    terminal: isTerminal(item),
    duration: item.effectiveDuration,
    reviews: item.reviews.length,
    ...(item.breakGlass
      ? {
          breakGlass: {
            ratifyBy: item.breakGlass.ratifyBy,
            ...(item.breakGlass.ratifiedBy ? { ratifiedBy: item.breakGlass.ratifiedBy } : {}),
            missed: item.breakGlass.missed ?? false,
          },
        }
      : {}),
  };
  const grantFields = (grant: Grant | undefined) =>
    grant
      ? {
          grantId: grant.grantId,
          provisioningAttempts: grant.attempts,
          ...(grant.grantedAt ? { grantedAt: grant.grantedAt } : {}),
          ...(grant.expiresAt ? { expiresAt: grant.expiresAt } : {}),
          ...(grant.verified !== undefined ? { verified: grant.verified } : {}),
          ...(grant.failures.length > 0 ? { lastFailure: grant.failures[grant.failures.length - 1] } : {}),
        }
      : {};
  switch (item.status) {
    case 'awaiting_approval': {
      const step = item.policy.steps[item.step];
      const approvals = item.reviews.filter(
        (r) => r.subject === 'approval' && r.step === item.step && r.decision === 'approve',
      ).length;
      return {
        ...common,
        pendingExpiresAt: item.pendingExpiresAt,
        ...(step ? { currentStep: { index: item.step, name: step.name, approvals, required: step.required } } : {}),
      };
    }
    case 'approved':
    case 'provisioning':
      return { ...common, approval: item.approval, ...grantFields(item.grant) };
    case 'active':
      return {
        ...common,
        approval: item.approval,
        ...grantFields(item.grant),
        ...(item.extension
          ? {
              pendingExtension: {
                extensionId: item.extension.extensionId,
                requestedExpiresAt: item.extension.requestedExpiresAt,
              },
            }
          : {}),
      };
    case 'revoking': {
      const lastFailure = item.revocation.failures[item.revocation.failures.length - 1];
      return {
        ...common,
        approval: item.approval,
        ...grantFields(item.grant),
        revocationReason: item.revocation.reason,
        ...(lastFailure ? { lastFailure } : {}),
      };
    }
    case 'revoked':
      return {
        ...common,
        approval: item.approval,
        ...grantFields(item.grant),
        revocationReason: item.revocation.reason,
        endedAt: item.endedAt,
        outcomeReason: item.revocation.reason,
      };
    case 'expired':
      return {
        ...common,
        ...(item.approval ? { approval: item.approval } : {}),
        ...grantFields(item.grant),
        endedAt: item.endedAt,
        outcomeReason: item.expiredBy,
      };
    case 'denied':
      return { ...common, endedAt: item.endedAt, outcomeReason: item.reason };
    case 'cancelled':
      return {
        ...common,
        ...(item.approval ? { approval: item.approval } : {}),
        ...grantFields(item.grant),
        endedAt: item.endedAt,
        ...(item.reason ? { outcomeReason: item.reason } : {}),
      };
    case 'failed':
      return {
        ...common,
        approval: item.approval,
        ...grantFields(item.grant),
        endedAt: item.endedAt,
        outcomeReason: item.reason,
      };
    default:
      return assertNever(item, 'item');
  }
};

const overallStatus = (items: readonly ItemState[]): RequestStatus => {
  const has = (...statuses: ItemStatus[]) => items.some((item) => statuses.includes(item.status));
  if (has('awaiting_approval')) return 'pending_approval';
  if (has('approved', 'provisioning')) return 'provisioning';
  if (has('active')) return 'active';
  if (has('revoking')) return 'revoking';
  const first = items[0]?.status;
  const allSame = items.every((item) => item.status === first);
  if (allSame && (first === 'denied' || first === 'cancelled' || first === 'failed' || first === 'expired'))
    return first;
  return 'completed';
};

/**
 * The request as the API shows it. Overall status: the least advanced live item wins
 * (pending_approval, then provisioning, active, revoking); when every item ended, their common
 * outcome, or `completed` when they ended differently.
 */
export const toView = (state: AccessRequestState): AccessRequestView | undefined => {
  if (state.status === 'empty') return undefined;
  const counts: Partial<Record<ItemStatus, number>> = {};
  for (const item of state.items) counts[item.status] = (counts[item.status] ?? 0) + 1;
  return {
    requestId: state.requestId,
    status: overallStatus(state.items),
    requester: state.requester,
    requestedBy: state.requestedBy,
    onBehalf: state.onBehalf,
    justification: state.justification,
    duration: state.duration,
    ...(state.ticket !== undefined ? { ticket: state.ticket } : {}),
    breakGlass: state.breakGlass,
    requestedAt: state.requestedAt,
    items: state.items.map(itemView),
    counts,
  };
};
