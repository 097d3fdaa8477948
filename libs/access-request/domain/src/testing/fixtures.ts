import type { AccessRequestEvent, ItemPolicySnapshot, Subject } from '@kairos/contracts';
import type {
  AccessRequestCommand,
  Actor,
  CommandMetadata,
  ExtendAccess,
  RecordReview,
  RecordTimerFired,
  SubmitAccessRequest,
  SubmittedItem,
} from '../commands';
import { grantIdFor } from '../decide';
import { addDuration } from '../duration';

export const REQUEST_ID = '0c6f3f9e-5b7a-4c1e-9d3b-2a8f4e6d1c01';
export const T0 = '2025-03-01T09:00:00.000Z';

export const ALICE: Subject = { id: 'u-alice', kind: 'person' };
export const CI_BOT: Subject = { id: 'svc-ci', kind: 'service' };
export const BOB = 'u-bob';
export const CAROL = 'u-carol';
export const DAVE = 'u-dave';
export const ERIN = 'u-erin';
export const ADMIN = 'u-admin';
export const RATIFIER = 'u-oncall-lead';

export const actor = (id: string, ...roles: string[]): Actor => ({ id, roles: roles.length ? roles : ['requester'] });
export const asAlice = actor(ALICE.id);
export const asAdmin = actor(ADMIN, 'admin');
export const asSystem = actor('request-service', 'system');

/** `T0 + duration`. */
export const at = (duration = 'PT0S'): string => (duration === 'PT0S' ? T0 : addDuration(T0, duration));

export const meta = (now: string, by: Actor = asSystem): CommandMetadata => ({
  now,
  actor: by,
  correlationId: 'corr-1',
});

export const policy = (overrides: Partial<ItemPolicySnapshot> = {}): ItemPolicySnapshot => ({
  policyId: 'pol-db',
  policyVersion: 3,
  tier: 2,
  mode: 'manager',
  steps: [{ name: 'manager', mode: 'manager', approvers: [BOB], required: 1 }],
  approvalValidity: 'P7D',
  maxDuration: 'PT8H',
  pendingTtl: 'P1D',
  justificationRequired: true,
  extensionRequiresApproval: false,
  breakGlass: { allowed: false, ratifyWithin: 'PT4H', ratifiers: [RATIFIER] },
  target: { connector: 'postgres', target: 'orders-db' },
  ...overrides,
});

export const automaticPolicy = (overrides: Partial<ItemPolicySnapshot> = {}) =>
  policy({ mode: 'automatic', steps: [], tier: 0, justificationRequired: false, ...overrides });

export const twoStepPolicy = (overrides: Partial<ItemPolicySnapshot> = {}) =>
  policy({
    mode: 'steps',
    tier: 3,
    steps: [
      { name: 'manager', mode: 'manager', approvers: [BOB], required: 1 },
      { name: 'db-admins (2 of 3)', mode: 'group', approvers: [CAROL, DAVE, ERIN], required: 2 },
    ],
    ...overrides,
  });

export const breakGlassPolicy = (overrides: Partial<ItemPolicySnapshot> = {}) =>
  policy({ breakGlass: { allowed: true, ratifyWithin: 'PT4H', ratifiers: [RATIFIER] }, ...overrides });

export const item = (itemId = 'db', itemPolicy: ItemPolicySnapshot = policy()): SubmittedItem => ({
  itemId,
  resourceId: `res-${itemId}`,
  role: 'read',
  policy: itemPolicy,
});

export const grantId = (itemId = 'db'): string => grantIdFor(REQUEST_ID, itemId);

export const submit = (
  overrides: Partial<SubmitAccessRequest['data']> = {},
  by: Actor = asAlice,
  now = T0,
): SubmitAccessRequest => ({
  type: 'SubmitAccessRequest',
  data: {
    requestId: REQUEST_ID,
    requester: ALICE,
    items: [item()],
    justification: 'INC-4711: reconcile orders',
    duration: 'PT2H',
    breakGlass: false,
    ...overrides,
  },
  metadata: meta(now, by),
});

let reviewCounter = 0;
export const review = (
  reviewerId: string,
  decision: 'approve' | 'deny' = 'approve',
  options: { itemId?: string; now?: string; reviewId?: string; comment?: string; shortenDurationTo?: string } = {},
): RecordReview => {
  const now = options.now ?? at('PT10M');
  return {
    type: 'RecordReview',
    data: {
      requestId: REQUEST_ID,
      itemId: options.itemId ?? 'db',
      reviewId: options.reviewId ?? `rv-${reviewerId}-${(reviewCounter += 1)}`,
      reviewerId,
      decision,
      ...(options.comment !== undefined ? { comment: options.comment } : {}),
      ...(options.shortenDurationTo !== undefined ? { shortenDurationTo: options.shortenDurationTo } : {}),
      submittedAt: now,
    },
    metadata: meta(now),
  };
};

type ResultOptions = { itemId?: string; grantId?: string; attempt?: number; now?: string };
const attemptData = (o: ResultOptions, defaultNow: string) => ({
  requestId: REQUEST_ID,
  itemId: o.itemId ?? 'db',
  grantId: o.grantId ?? grantId(o.itemId),
  attempt: o.attempt ?? 1,
  at: o.now ?? defaultNow,
});

export const provisioningStarted = (o: ResultOptions & { ticketId?: string } = {}): AccessRequestCommand => ({
  type: 'RecordProvisioningStarted',
  data: { ...attemptData(o, at('PT1M')), ...(o.ticketId ? { ticketId: o.ticketId } : {}) },
  metadata: meta(o.now ?? at('PT1M')),
});

export const grantSucceeded = (o: ResultOptions = {}): AccessRequestCommand => ({
  type: 'RecordGrantSucceeded',
  data: { ...attemptData(o, at('PT1M')), verified: true },
  metadata: meta(o.now ?? at('PT1M')),
});

export const grantFailed = (o: ResultOptions & { final?: boolean; reason?: string } = {}): AccessRequestCommand => ({
  type: 'RecordGrantFailed',
  data: {
    ...attemptData(o, at('PT1M')),
    reason: o.reason ?? 'connection refused',
    final: o.final ?? false,
    verified: false,
  },
  metadata: meta(o.now ?? at('PT1M')),
});

export const revokeSucceeded = (o: ResultOptions = {}): AccessRequestCommand => ({
  type: 'RecordRevokeSucceeded',
  data: { ...attemptData(o, at('PT3H')), verified: true },
  metadata: meta(o.now ?? at('PT3H')),
});

export const revokeFailed = (o: ResultOptions & { final?: boolean } = {}): AccessRequestCommand => ({
  type: 'RecordRevokeFailed',
  data: { ...attemptData(o, at('PT3H')), reason: 'permission denied', final: o.final ?? false, verified: false },
  metadata: meta(o.now ?? at('PT3H')),
});

export const timer = (
  kind: RecordTimerFired['data']['kind'],
  now: string,
  o: { itemId?: string; grantId?: string; dueAt?: string } = {},
): RecordTimerFired => ({
  type: 'RecordTimerFired',
  data: {
    timerId: `t-${kind}-${now}`,
    requestId: REQUEST_ID,
    itemId: o.itemId ?? 'db',
    ...(o.grantId !== undefined ? { grantId: o.grantId } : {}),
    kind,
    dueAt: o.dueAt ?? now,
    firedAt: now,
  },
  metadata: meta(now),
});

export const extend = (
  change: { extendTo?: string; by?: string },
  o: { itemId?: string; now?: string; by?: Actor; extensionId?: string } = {},
): ExtendAccess => ({
  type: 'ExtendAccess',
  data: { itemId: o.itemId ?? 'db', extensionId: o.extensionId ?? 'ext-1', ...change },
  metadata: meta(o.now ?? at('PT1H'), o.by ?? asAlice),
});

export const cancel = (by: Actor = asAlice, itemIds?: string[], now = at('PT5M')): AccessRequestCommand => ({
  type: 'CancelAccessRequest',
  data: { ...(itemIds ? { itemIds } : {}), reason: 'no longer needed' },
  metadata: meta(now, by),
});

export const release = (by: Actor = asAlice, itemId = 'db', now = at('PT1H')): AccessRequestCommand => ({
  type: 'ReleaseAccess',
  data: { itemId },
  metadata: meta(now, by),
});

export const revoke = (by: Actor = asAdmin, itemId = 'db', now = at('PT1H')): AccessRequestCommand => ({
  type: 'RevokeAccess',
  data: { itemId, reason: 'suspicious activity' },
  metadata: meta(now, by),
});

export type { AccessRequestEvent };
