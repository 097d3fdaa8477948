import type { AccessRequestEvent, AccessRequestEventOf, AccessRequestEventType, ItemPolicySnapshot } from '@kairos/contracts';

export const ALICE = { id: 'u-alice', kind: 'person' } as const;
const TARGET = { connector: 'postgres', target: 'orders-db' } as const;

export const snapshot = (): ItemPolicySnapshot => ({
  policyId: 'pol-db',
  policyVersion: 1,
  tier: 2,
  mode: 'manager',
  steps: [{ name: 'manager', mode: 'manager', approvers: ['u-bob'], required: 1 }],
  approvalValidity: 'P7D',
  maxDuration: 'PT8H',
  pendingTtl: 'P1D',
  justificationRequired: true,
  extensionRequiresApproval: false,
  breakGlass: { allowed: true, ratifyWithin: 'PT4H', ratifiers: ['u-lead'] },
  target: TARGET,
});

type Data<T extends AccessRequestEventType> = AccessRequestEventOf<T>['data'];
const event = <T extends AccessRequestEventType>(type: T, data: Data<T>): AccessRequestEvent => ({ type, data }) as AccessRequestEvent;

/** Request-stream events as the request service appends them, for one request. */
export const requestEvents = (requestId: string) => ({
  requested: (items: { itemId: string; pendingExpiresAt: string }[], at: string) =>
    event('AccessRequested', {
      requestId,
      requester: ALICE,
      requestedBy: ALICE.id,
      onBehalf: false,
      justification: 'incident 42',
      duration: 'PT1H',
      breakGlass: false,
      items: items.map((i) => ({
        itemId: i.itemId,
        resourceId: `res-${i.itemId}`,
        role: 'read',
        policy: snapshot(),
        pendingExpiresAt: i.pendingExpiresAt,
      })),
      requestedAt: at,
    }),
  approved: (itemId: string, approvalExpiresAt: string, at: string) =>
    event('ItemApproved', { requestId, itemId, via: 'reviews', duration: 'PT1H', approvalExpiresAt, approvedAt: at }),
  denied: (itemId: string, at: string) =>
    event('ItemDenied', { requestId, itemId, reviewId: 'rev-1', deniedBy: 'u-bob', reason: 'no', deniedAt: at }),
  breakGlassInvoked: (itemId: string, ratifyBy: string, at: string) =>
    event('BreakGlassInvoked', { requestId, itemId, invokedBy: ALICE.id, ratifyBy, ratifiers: ['u-lead'], invokedAt: at }),
  breakGlassRatified: (itemId: string, at: string) =>
    event('BreakGlassRatified', { requestId, itemId, reviewId: 'rev-2', ratifiedBy: 'u-lead', ratifiedAt: at }),
  breakGlassMissed: (itemId: string, grantId: string, ratifyBy: string, at: string) =>
    event('BreakGlassRatificationMissed', { requestId, itemId, grantId, ratifyBy, missedAt: at }),
  grantRequested: (itemId: string, grantId: string, at: string) =>
    event('GrantRequested', {
      requestId,
      itemId,
      grantId,
      subject: ALICE,
      resourceId: `res-${itemId}`,
      role: 'read',
      target: TARGET,
      duration: 'PT1H',
      breakGlass: false,
      requestedAt: at,
    }),
  provisioningFailed: (itemId: string, grantId: string, final: boolean, at: string) =>
    event('ProvisioningFailed', { requestId, itemId, grantId, attempt: 1, reason: 'target down', final, failedAt: at }),
  granted: (itemId: string, grantId: string, expiresAt: string, at: string) =>
    event('AccessGranted', {
      requestId,
      itemId,
      grantId,
      subject: ALICE,
      resourceId: `res-${itemId}`,
      role: 'read',
      breakGlass: false,
      verified: true,
      grantedAt: at,
      expiresAt,
    }),
  extended: (itemId: string, grantId: string, previousExpiresAt: string, expiresAt: string, at: string) =>
    event('AccessExtended', { requestId, itemId, grantId, via: 'policy', previousExpiresAt, expiresAt, extendedAt: at }),
  accessExpired: (itemId: string, grantId: string, expiresAt: string, at: string) =>
    event('AccessExpired', { requestId, itemId, grantId, expiresAt, expiredAt: at }),
  revocationRequested: (itemId: string, grantId: string, reason: 'released' | 'revoked_by_admin' | 'expired', at: string) =>
    event('RevocationRequested', {
      requestId,
      itemId,
      grantId,
      reason,
      subject: ALICE,
      resourceId: `res-${itemId}`,
      role: 'read',
      target: TARGET,
      requestedAt: at,
    }),
  revoked: (itemId: string, grantId: string, at: string) =>
    event('AccessRevoked', {
      requestId,
      itemId,
      grantId,
      subject: ALICE,
      resourceId: `res-${itemId}`,
      role: 'read',
      reason: 'released',
      verified: true,
      revokedAt: at,
    }),
  cancelled: (itemId: string, at: string) => event('ItemCancelled', { requestId, itemId, cancelledBy: ALICE.id, cancelledAt: at }),
  itemExpired: (itemId: string, pendingExpiresAt: string, at: string) =>
    event('ItemExpired', { requestId, itemId, pendingExpiresAt, expiredAt: at }),
  approvalExpired: (itemId: string, approvalExpiresAt: string, at: string) =>
    event('ApprovalExpired', { requestId, itemId, approvalExpiresAt, expiredAt: at }),
});

/** A clock the test moves by hand. */
export class ManualClock {
  private current: number;
  constructor(start: string) {
    this.current = Date.parse(start);
  }
  now(): Date {
    return new Date(this.current);
  }
  set(instant: string): void {
    this.current = Date.parse(instant);
  }
}

export const plus = (instant: string, ms: number): string => new Date(Date.parse(instant) + ms).toISOString();
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
