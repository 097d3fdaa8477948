import type { ConnectorName } from './connectors';
/**
 * The policy in force when a request was submitted, resolved for one item and recorded on the
 * request's stream inside `AccessRequested`. Later policy changes never rewrite it; the request
 * decider counts reviews against it and auditors read it to see why an item needed what it needed.
 *
 * Approver sets are resolved to identity ids at submission (the manager, the owners, the members of
 * a group), so replaying the stream never depends on today's directory.
 */
export type ApprovalMode = 'automatic' | 'manager' | 'resource_owner' | 'named' | 'group' | 'steps';

export interface ApprovalStepSnapshot {
  /** Human readable, e.g. "manager", "resource owners", "db-admins (2 of 3)". */
  readonly name: string;
  readonly mode: Exclude<ApprovalMode, 'automatic' | 'steps'>;
  /** Identity ids eligible to review this step (the requester is never among them). */
  readonly approvers: readonly string[];
  /** Distinct approvals needed to pass this step. */
  readonly required: number;
  /** Set when nobody could fill the step as configured and the fallback approvers were asked instead. */
  readonly fallback?: {
    readonly replaces: 'manager' | 'resource_owner';
    readonly source: string;
    readonly reason: string;
  };
}

export interface ItemPolicySnapshot {
  readonly policyId: string;
  readonly policyVersion: number;
  /** Sensitivity tier 0 (harmless) … 4 (critical). */
  readonly tier: 0 | 1 | 2 | 3 | 4;
  /** Which group override, if any, supplied these settings. */
  readonly overrideGroup?: string;
  readonly mode: ApprovalMode;
  /** Empty when mode is automatic; otherwise passed in order, one after the other. */
  readonly steps: readonly ApprovalStepSnapshot[];
  /** How long an approval stays valid once given (ISO 8601 duration). */
  readonly approvalValidity: string;
  /** Longest access a single grant or extension may reach (ISO 8601 duration). */
  readonly maxDuration: string;
  /** How long the item may wait for approval before it expires (ISO 8601 duration). */
  readonly pendingTtl: string;
  readonly justificationRequired: boolean;
  readonly extensionRequiresApproval: boolean;
  readonly breakGlass: {
    readonly allowed: boolean;
    /** Time allowed to ratify a break-glass grant before it is revoked (ISO 8601 duration). */
    readonly ratifyWithin: string;
    /** Identity ids who may ratify. */
    readonly ratifiers: readonly string[];
  };
  /** Set when the item reuses a still-valid approval of an earlier request (the "two clocks"). */
  readonly reusesApproval?: {
    readonly requestId: string;
    readonly itemId: string;
    readonly approvalExpiresAt: string;
    /** The access duration the people who approved it agreed to: a reuse grants at most this. */
    readonly approvedDuration?: string;
  };
  /**
   * Separation of duties across steps: one person never approves two steps of one item. Absent
   * means enforced; only a tier that opts out explicitly records `false`.
   */
  readonly separationOfDuties?: boolean;
  /**
   * Who may carry out this item's manual fulfilment tickets besides admins (identity ids, resolved at
   * submission: the resource's active owners other than the requester).
   */
  readonly fulfillers?: readonly string[];
  /** Where the connector grants it. Never holds credentials. */
  readonly target: {
    readonly connector: ConnectorName;
    readonly target: string;
  };
}
