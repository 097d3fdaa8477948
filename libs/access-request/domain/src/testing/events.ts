import type {
  AccessRequestEvent,
  AccessRequestEventOf,
  AccessRequestEventType,
  GrantTarget,
  ItemPolicySnapshot,
  RequestedItem,
} from '@kairos/contracts';
import type { SubmittedItem } from '../commands';
import { grantIdFor } from '../decide';
import { addDuration } from '../duration';
import { ALICE, at, item, policy, REQUEST_ID, T0 } from './fixtures';

/**
 * Whole events as the decider should emit them, for `given(...).when(...).then([...])`. Each factory
 * fills the request the fixtures build (REQUEST_ID, ALICE, item `db` on `res-db`, role `read`, the
 * default policy's target, PT2H, at T0) and takes the fields a test is about; the grant id, resource
 * and target follow the item id. A spec states every field it expects, so a stray or missing field
 * in the decider fails it.
 */
type Data<T extends AccessRequestEventType> = AccessRequestEventOf<T>['data'];
type Overrides<T extends AccessRequestEventType> = Partial<{ -readonly [K in keyof Data<T>]: Data<T>[K] }>;

const TARGET: GrantTarget = policy().target;

const event = <T extends AccessRequestEventType>(type: T, data: Data<T>): AccessRequestEventOf<T> =>
  ({ type, data }) as unknown as AccessRequestEventOf<T>;

/** Item-scoped defaults: the request, the item `db` unless told, its grant id. */
const itemScope = (o: { requestId?: string; itemId?: string; grantId?: string }) => {
  const requestId = o.requestId ?? REQUEST_ID;
  const itemId = o.itemId ?? 'db';
  return { requestId, itemId, grantId: o.grantId ?? grantIdFor(requestId, itemId) };
};

/** The grant's identity and target, as the request's item carries them. */
const grantScope = (o: { itemId?: string; resourceId?: string; role?: string }) => ({
  subject: ALICE,
  resourceId: o.resourceId ?? `res-${o.itemId ?? 'db'}`,
  role: o.role ?? 'read',
});

/** An item of `AccessRequested` as submitted with `item(...)` at `now`. */
export const requestedItem = (submitted: SubmittedItem = item(), now: string = T0): RequestedItem => ({
  itemId: submitted.itemId,
  resourceId: submitted.resourceId,
  role: submitted.role,
  policy: submitted.policy,
  pendingExpiresAt: addDuration(now, submitted.policy.pendingTtl),
});

const targetOf = (itemPolicy?: ItemPolicySnapshot): GrantTarget => itemPolicy?.target ?? TARGET;

export const expected = {
  accessRequested: (o: Overrides<'AccessRequested'> = {}) =>
    event('AccessRequested', {
      requestId: REQUEST_ID,
      requester: ALICE,
      requestedBy: o.requester?.id ?? ALICE.id,
      onBehalf: false,
      justification: 'INC-4711: reconcile orders',
      duration: 'PT2H',
      breakGlass: false,
      items: [requestedItem(item(), o.requestedAt ?? T0)],
      requestedAt: T0,
      ...o,
    }),

  reviewRecorded: (o: Overrides<'ReviewRecorded'> & { reviewerId: string; reviewId: string }) =>
    event('ReviewRecorded', {
      requestId: REQUEST_ID,
      itemId: 'db',
      decision: 'approve',
      subject: 'approval',
      step: 0,
      stepName: 'manager',
      submittedAt: o.recordedAt ?? at('PT10M'),
      recordedAt: o.submittedAt ?? at('PT10M'),
      ...o,
    }),

  approvalStepPassed: (o: Overrides<'ApprovalStepPassed'> & { approvedBy: readonly string[] }) =>
    event('ApprovalStepPassed', {
      requestId: REQUEST_ID,
      itemId: 'db',
      step: 0,
      stepName: 'manager',
      passedAt: at('PT10M'),
      ...o,
    }),

  itemApproved: (o: Overrides<'ItemApproved'> = {}) => {
    const approvedAt = o.approvedAt ?? T0;
    return event('ItemApproved', {
      requestId: REQUEST_ID,
      itemId: 'db',
      via: 'automatic',
      duration: 'PT2H',
      approvalExpiresAt: addDuration(approvedAt, 'P7D'),
      approvedAt,
      ...o,
    });
  },

  itemDenied: (o: Overrides<'ItemDenied'> & { reviewId: string; deniedBy: string }) =>
    event('ItemDenied', { requestId: REQUEST_ID, itemId: 'db', reason: '', deniedAt: at('PT10M'), ...o }),

  breakGlassInvoked: (o: Overrides<'BreakGlassInvoked'> = {}) => {
    const invokedAt = o.invokedAt ?? T0;
    return event('BreakGlassInvoked', {
      requestId: REQUEST_ID,
      itemId: 'db',
      invokedBy: ALICE.id,
      ratifyBy: addDuration(invokedAt, 'PT4H'),
      ratifiers: [],
      invokedAt,
      ...o,
    });
  },

  breakGlassRatified: (o: Overrides<'BreakGlassRatified'> & { reviewId: string; ratifiedBy: string }) =>
    event('BreakGlassRatified', { requestId: REQUEST_ID, itemId: 'db', ratifiedAt: at('PT10M'), ...o }),

  breakGlassRatificationMissed: (o: Overrides<'BreakGlassRatificationMissed'> = {}) =>
    event('BreakGlassRatificationMissed', {
      ...itemScope(o),
      ratifyBy: at('PT4H'),
      missedAt: o.ratifyBy ?? at('PT4H'),
      ...o,
    }),

  reviewEscalated: (o: Overrides<'ReviewEscalated'> & { escalationId: string; approvers: readonly string[] }) =>
    event('ReviewEscalated', {
      requestId: REQUEST_ID,
      itemId: 'db',
      step: 0,
      reason: 'unanswered',
      escalatedAt: T0,
      ...o,
    }),

  grantRequested: (o: Overrides<'GrantRequested'> & { policy?: ItemPolicySnapshot } = {}) => {
    const { policy: itemPolicy, ...rest } = o;
    return event('GrantRequested', {
      ...itemScope(o),
      ...grantScope(o),
      target: targetOf(itemPolicy),
      duration: 'PT2H',
      breakGlass: false,
      requestedAt: T0,
      ...rest,
    });
  },

  provisioningStarted: (o: Overrides<'ProvisioningStarted'> = {}) =>
    event('ProvisioningStarted', { ...itemScope(o), attempt: 1, startedAt: at('PT1M'), ...o }),

  provisioningFailed: (o: Overrides<'ProvisioningFailed'> = {}) =>
    event('ProvisioningFailed', {
      ...itemScope(o),
      attempt: 1,
      reason: 'connection refused',
      final: false,
      failedAt: at('PT1M'),
      ...o,
    }),

  accessGranted: (o: Overrides<'AccessGranted'> = {}) => {
    const grantedAt = o.grantedAt ?? at('PT1M');
    return event('AccessGranted', {
      ...itemScope(o),
      ...grantScope(o),
      breakGlass: false,
      verified: true,
      grantedAt,
      expiresAt: addDuration(grantedAt, 'PT2H'),
      ...o,
    });
  },

  extensionRequested: (o: Overrides<'ExtensionRequested'> & { currentExpiresAt: string; requestedExpiresAt: string }) =>
    event('ExtensionRequested', {
      ...itemScope(o),
      extensionId: 'ext-1',
      requestedBy: ALICE.id,
      requestedAt: at('PT1H'),
      ...o,
    }),

  extensionDenied: (o: Overrides<'ExtensionDenied'> & { reviewId: string; deniedBy: string }) =>
    event('ExtensionDenied', {
      ...itemScope(o),
      extensionId: 'ext-1',
      reason: '',
      deniedAt: at('PT10M'),
      ...o,
    }),

  accessExtended: (o: Overrides<'AccessExtended'> & { previousExpiresAt: string; expiresAt: string }) =>
    event('AccessExtended', { ...itemScope(o), via: 'policy', extendedAt: at('PT1H'), ...o }),

  accessExpired: (o: Overrides<'AccessExpired'> & { expiresAt: string }) =>
    event('AccessExpired', { ...itemScope(o), expiredAt: o.expiresAt, ...o }),

  revocationRequested: (
    o: Overrides<'RevocationRequested'> & Pick<Data<'RevocationRequested'>, 'reason'> & { policy?: ItemPolicySnapshot },
  ) => {
    const { policy: itemPolicy, ...rest } = o;
    return event('RevocationRequested', {
      ...itemScope(o),
      ...grantScope(o),
      target: targetOf(itemPolicy),
      requestedAt: at('PT1H'),
      ...rest,
    });
  },

  revocationFailed: (o: Overrides<'RevocationFailed'> = {}) =>
    event('RevocationFailed', {
      ...itemScope(o),
      attempt: 1,
      reason: 'permission denied',
      final: false,
      failedAt: at('PT3H'),
      ...o,
    }),

  accessRevoked: (o: Overrides<'AccessRevoked'> & Pick<Data<'AccessRevoked'>, 'reason'>) =>
    event('AccessRevoked', {
      ...itemScope(o),
      ...grantScope(o),
      verified: true,
      revokedAt: at('PT3H'),
      ...o,
    }),

  approvalExpired: (o: Overrides<'ApprovalExpired'> & { approvalExpiresAt: string }) =>
    event('ApprovalExpired', { requestId: REQUEST_ID, itemId: 'db', expiredAt: o.approvalExpiresAt, ...o }),

  itemExpired: (o: Overrides<'ItemExpired'> = {}) =>
    event('ItemExpired', {
      requestId: REQUEST_ID,
      itemId: 'db',
      pendingExpiresAt: at('P1D'),
      expiredAt: o.pendingExpiresAt ?? at('P1D'),
      ...o,
    }),

  itemCancelled: (o: Overrides<'ItemCancelled'> = {}) =>
    event('ItemCancelled', {
      requestId: REQUEST_ID,
      itemId: 'db',
      cancelledBy: ALICE.id,
      reason: 'no longer needed',
      cancelledAt: at('PT5M'),
      ...o,
    }),
} satisfies Record<string, (o: never) => AccessRequestEvent>;
