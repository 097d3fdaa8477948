import type {
  GrantFailed,
  GrantSucceeded,
  IsoDuration,
  ItemPolicySnapshot,
  ProvisioningStartedMessage,
  ReviewSubmitted,
  RevokeFailed,
  RevokeSucceeded,
  Subject,
  TimerFired,
} from '@kairos/contracts';
import type { RecordReviewEscalation } from './escalation';

export interface Actor {
  readonly id: string;
  /** e.g. 'requester', 'approver', 'admin', 'auditor', 'system'. */
  readonly roles: readonly string[];
}

export interface CommandMetadata {
  /** The handler's clock (ISO 8601); the decider never reads one. */
  readonly now: string;
  readonly actor: Actor;
  readonly correlationId?: string;
}

export type Command<Type extends string, Data> = Readonly<{
  type: Type;
  data: Readonly<Data>;
  metadata: CommandMetadata;
}>;

export interface SubmittedItem {
  readonly itemId: string;
  readonly resourceId: string;
  readonly role: string;
  readonly policy: ItemPolicySnapshot;
}

export type SubmitAccessRequest = Command<
  'SubmitAccessRequest',
  {
    requestId: string;
    requester: Subject;
    /** The requester's directory groups as the policy service saw them; recorded as a snapshot. */
    requesterGroups?: readonly string[];
    items: readonly SubmittedItem[];
    justification: string;
    duration: IsoDuration;
    ticket?: string;
    breakGlass: boolean;
  }
>;

export type CancelAccessRequest = Command<
  'CancelAccessRequest',
  {
    /** Items to cancel; all cancellable items when omitted. */
    itemIds?: readonly string[];
    reason?: string;
  }
>;

export type ReleaseAccess = Command<'ReleaseAccess', { itemId: string }>;

export type RevokeAccess = Command<'RevokeAccess', { itemId: string; reason?: string }>;

export type ExtendAccess = Command<
  'ExtendAccess',
  {
    itemId: string;
    extensionId: string;
    /** The new expiry, or… */
    extendTo?: string;
    /** …how much to add to the current expiry. Exactly one of the two. */
    by?: IsoDuration;
  }
>;

// Commands recording what the other services published (see `commandFromMessage`).
export type RecordReview = Command<'RecordReview', ReviewSubmitted['data']>;
export type RecordProvisioningStarted = Command<'RecordProvisioningStarted', ProvisioningStartedMessage['data']>;
export type RecordGrantSucceeded = Command<'RecordGrantSucceeded', GrantSucceeded['data']>;
export type RecordGrantFailed = Command<'RecordGrantFailed', GrantFailed['data']>;
export type RecordRevokeSucceeded = Command<'RecordRevokeSucceeded', RevokeSucceeded['data']>;
export type RecordRevokeFailed = Command<'RecordRevokeFailed', RevokeFailed['data']>;
export type RecordTimerFired = Command<'RecordTimerFired', TimerFired['data']>;

export type AccessRequestCommand =
  | SubmitAccessRequest
  | CancelAccessRequest
  | ReleaseAccess
  | RevokeAccess
  | ExtendAccess
  | RecordReview
  | RecordProvisioningStarted
  | RecordGrantSucceeded
  | RecordGrantFailed
  | RecordRevokeSucceeded
  | RecordRevokeFailed
  | RecordTimerFired
  | RecordReviewEscalation;

export type AccessRequestCommandType = AccessRequestCommand['type'];
