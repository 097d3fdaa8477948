import type { ConnectorName } from './connectors';
import type { ItemPolicySnapshot } from './policy-snapshot';

/**
 * Events of the request stream `access-request-<uuid>`, relayed unchanged to the public Kafka
 * topic `access-request.events`. Names are frozen once published; a new shape is a new version in
 * the catalogue plus an upcaster (see `upcasting.ts`).
 */
export type Event<Type extends string, Data extends Record<string, unknown>> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

export type Iso8601 = string;
export type IsoDuration = string;

export interface Subject {
  readonly id: string;
  readonly kind: 'person' | 'service';
}

export interface GrantTarget {
  readonly connector: ConnectorName;
  readonly target: string;
}

export type ReviewDecision = 'approve' | 'deny';
export type ReviewSubjectKind = 'approval' | 'extension' | 'break_glass_ratification';
export type ApprovalVia = 'automatic' | 'reviews' | 'reused_approval' | 'break_glass';
export type ExtensionVia = 'policy' | 'reviews';

export const REVOCATION_REASONS = [
  'expired',
  'released',
  'revoked_by_admin',
  'break_glass_not_ratified',
  'break_glass_rejected',
  'cancelled',
  'approval_expired',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface RequestedItem {
  readonly itemId: string;
  readonly resourceId: string;
  readonly role: string;
  readonly policy: ItemPolicySnapshot;
  /** When the item stops waiting for approval (requestedAt + policy.pendingTtl). */
  readonly pendingExpiresAt: Iso8601;
}

export type AccessRequested = Event<
  'AccessRequested',
  {
    requestId: string;
    requester: Subject;
    /**
     * The requester's directory groups at submission. A snapshot, like the policy: later directory
     * changes never rewrite it. Absent on requests recorded before groups were.
     */
    requesterGroups?: readonly string[];
    /** Who submitted it: the requester, or an admin acting on their behalf. */
    requestedBy: string;
    onBehalf: boolean;
    justification: string;
    duration: IsoDuration;
    ticket?: string;
    breakGlass: boolean;
    items: readonly RequestedItem[];
    requestedAt: Iso8601;
  }
>;

export type ReviewRecorded = Event<
  'ReviewRecorded',
  {
    requestId: string;
    itemId: string;
    reviewId: string;
    reviewerId: string;
    decision: ReviewDecision;
    comment?: string;
    shortenDurationTo?: IsoDuration;
    subject: ReviewSubjectKind;
    /** Index of the approval step reviewed (0 for a break-glass ratification). */
    step: number;
    stepName: string;
    extensionId?: string;
    submittedAt: Iso8601;
    recordedAt: Iso8601;
  }
>;

export type ApprovalStepPassed = Event<
  'ApprovalStepPassed',
  {
    requestId: string;
    itemId: string;
    step: number;
    stepName: string;
    approvedBy: readonly string[];
    extensionId?: string;
    passedAt: Iso8601;
  }
>;

export type ItemApproved = Event<
  'ItemApproved',
  {
    requestId: string;
    itemId: string;
    via: ApprovalVia;
    /** The effective access duration (the requested one, possibly shortened by reviewers). */
    duration: IsoDuration;
    approvalExpiresAt: Iso8601;
    reusedFrom?: { readonly requestId: string; readonly itemId: string };
    approvedAt: Iso8601;
  }
>;

export type ItemDenied = Event<
  'ItemDenied',
  { requestId: string; itemId: string; reviewId: string; deniedBy: string; reason: string; deniedAt: Iso8601 }
>;

export type BreakGlassInvoked = Event<
  'BreakGlassInvoked',
  {
    requestId: string;
    itemId: string;
    invokedBy: string;
    ratifyBy: Iso8601;
    ratifiers: readonly string[];
    invokedAt: Iso8601;
  }
>;

export type BreakGlassRatified = Event<
  'BreakGlassRatified',
  { requestId: string; itemId: string; reviewId: string; ratifiedBy: string; ratifiedAt: Iso8601 }
>;

export type BreakGlassRatificationMissed = Event<
  'BreakGlassRatificationMissed',
  { requestId: string; itemId: string; grantId: string; ratifyBy: Iso8601; missedAt: Iso8601 }
>;

/**
 * More people may now review the item's current step: its fallback approvers after nobody answered
 * in time (`reason: unanswered`), or the person an approver delegated to while away (`reason:
 * delegation`, with `delegatedBy` and `until`). Asked for by the notifier, recorded by the decider.
 */
export type ReviewEscalated = Event<
  'ReviewEscalated',
  {
    requestId: string;
    itemId: string;
    escalationId: string;
    /** The approval step (index from 0) the approvers are added to. */
    step: number;
    reason: 'unanswered' | 'delegation';
    approvers: readonly string[];
    delegatedBy?: string;
    until?: Iso8601;
    escalatedAt: Iso8601;
  }
>;

export type GrantRequested = Event<
  'GrantRequested',
  {
    requestId: string;
    itemId: string;
    grantId: string;
    subject: Subject;
    resourceId: string;
    role: string;
    target: GrantTarget;
    duration: IsoDuration;
    breakGlass: boolean;
    requestedAt: Iso8601;
  }
>;

export type ProvisioningStarted = Event<
  'ProvisioningStarted',
  { requestId: string; itemId: string; grantId: string; attempt: number; ticketId?: string; startedAt: Iso8601 }
>;

export type ProvisioningFailed = Event<
  'ProvisioningFailed',
  {
    requestId: string;
    itemId: string;
    grantId: string;
    attempt: number;
    reason: string;
    /** True when the connector gave up: the item has failed. */
    final: boolean;
    /** The person who failed the manual fulfilment ticket, and what they wrote. */
    fulfilledBy?: string;
    comment?: string;
    failedAt: Iso8601;
  }
>;

export type AccessGranted = Event<
  'AccessGranted',
  {
    requestId: string;
    itemId: string;
    grantId: string;
    subject: Subject;
    resourceId: string;
    role: string;
    breakGlass: boolean;
    /** True only when the connector checked the target for exactly this identity and role. */
    verified: boolean;
    /** The person who fulfilled the manual ticket (their word, not a check: verified is false), and what they wrote. */
    fulfilledBy?: string;
    comment?: string;
    grantedAt: Iso8601;
    expiresAt: Iso8601;
  }
>;

export type ExtensionRequested = Event<
  'ExtensionRequested',
  {
    requestId: string;
    itemId: string;
    grantId: string;
    extensionId: string;
    requestedBy: string;
    currentExpiresAt: Iso8601;
    requestedExpiresAt: Iso8601;
    requestedAt: Iso8601;
  }
>;

export type ExtensionDenied = Event<
  'ExtensionDenied',
  {
    requestId: string;
    itemId: string;
    grantId: string;
    extensionId: string;
    reviewId: string;
    deniedBy: string;
    reason: string;
    deniedAt: Iso8601;
  }
>;

export type AccessExtended = Event<
  'AccessExtended',
  {
    requestId: string;
    itemId: string;
    grantId: string;
    via: ExtensionVia;
    extensionId?: string;
    previousExpiresAt: Iso8601;
    expiresAt: Iso8601;
    extendedAt: Iso8601;
  }
>;

export type AccessExpired = Event<
  'AccessExpired',
  { requestId: string; itemId: string; grantId: string; expiresAt: Iso8601; expiredAt: Iso8601 }
>;

export type RevocationRequested = Event<
  'RevocationRequested',
  {
    requestId: string;
    itemId: string;
    grantId: string;
    reason: RevocationReason;
    requestedBy?: string;
    subject: Subject;
    resourceId: string;
    role: string;
    target: GrantTarget;
    requestedAt: Iso8601;
  }
>;

export type RevocationFailed = Event<
  'RevocationFailed',
  {
    requestId: string;
    itemId: string;
    grantId: string;
    attempt: number;
    reason: string;
    /** True when the connector stopped retrying: a person must act, the item stays revoking. */
    final: boolean;
    failedAt: Iso8601;
  }
>;

export type AccessRevoked = Event<
  'AccessRevoked',
  {
    requestId: string;
    itemId: string;
    grantId: string;
    subject: Subject;
    resourceId: string;
    role: string;
    reason: RevocationReason;
    /** True when the connector checked the target system and the access is really gone. */
    verified: boolean;
    /**
     * Other live grants (ids) that still need the same role for the same identity in the same
     * target: this grant ended, the role stays for them, and `verified` is false.
     */
    retainedBy?: readonly string[];
    /** The person who carried out a manual revocation ticket (their word, not a check). */
    fulfilledBy?: string;
    comment?: string;
    revokedAt: Iso8601;
  }
>;

export type ApprovalExpired = Event<
  'ApprovalExpired',
  { requestId: string; itemId: string; approvalExpiresAt: Iso8601; expiredAt: Iso8601 }
>;

export type ItemExpired = Event<
  'ItemExpired',
  { requestId: string; itemId: string; pendingExpiresAt: Iso8601; expiredAt: Iso8601 }
>;

export type ItemCancelled = Event<
  'ItemCancelled',
  { requestId: string; itemId: string; cancelledBy: string; reason?: string; cancelledAt: Iso8601 }
>;

export type AccessRequestEvent =
  | AccessRequested
  | ReviewRecorded
  | ApprovalStepPassed
  | ItemApproved
  | ItemDenied
  | BreakGlassInvoked
  | BreakGlassRatified
  | BreakGlassRatificationMissed
  | ReviewEscalated
  | GrantRequested
  | ProvisioningStarted
  | ProvisioningFailed
  | AccessGranted
  | ExtensionRequested
  | ExtensionDenied
  | AccessExtended
  | AccessExpired
  | RevocationRequested
  | RevocationFailed
  | AccessRevoked
  | ApprovalExpired
  | ItemExpired
  | ItemCancelled;

export type AccessRequestEventType = AccessRequestEvent['type'];
export type AccessRequestEventOf<T extends AccessRequestEventType> = Extract<AccessRequestEvent, { type: T }>;

export const ACCESS_REQUEST_STREAM_PREFIX = 'access-request-';
export const accessRequestStreamName = (requestId: string): string => `${ACCESS_REQUEST_STREAM_PREFIX}${requestId}`;
/** The request id of a request stream's name (the inverse of `accessRequestStreamName`). */
export const requestIdOfStream = (stream: string): string =>
  stream.startsWith(ACCESS_REQUEST_STREAM_PREFIX) ? stream.slice(ACCESS_REQUEST_STREAM_PREFIX.length) : stream;
