// Type-only: the domain takes the snapshot's shape from the contracts, never its runtime code.
import type { ApprovalMode, ApprovalStepSnapshot, ConnectorName, ItemPolicySnapshot } from '@kairos/contracts';

export type { ApprovalMode, ApprovalStepSnapshot, ItemPolicySnapshot };

export type Tier = 0 | 1 | 2 | 3 | 4;
export const TIERS: readonly Tier[] = [0, 1, 2, 3, 4];

/** The connectors come from the one list in @kairos/contracts (CONNECTOR_NAMES). */
export type Connector = ConnectorName;

/** One approval requirement. `steps` chains the others; a step is never itself a chain. */
export type SingleApprovalRule =
  | { readonly mode: 'automatic' }
  | { readonly mode: 'manager' }
  | { readonly mode: 'resource_owner' }
  | { readonly mode: 'named'; readonly approvers: readonly string[]; readonly required?: number }
  | { readonly mode: 'group'; readonly group: string; readonly required: number };

export type ApprovalRule = SingleApprovalRule | { readonly mode: 'steps'; readonly steps: readonly SingleApprovalRule[] };

export interface BreakGlassSettings {
  readonly allowed: boolean;
  /** ISO 8601 duration: time allowed to ratify a break-glass grant before it is revoked. */
  readonly ratifyWithin: string;
  /** Group whose members ratify; when absent the resource owners do. */
  readonly ratifierGroup?: string;
}

/** Durations are ISO 8601 (see `parseDuration`). */
export interface TierSettings {
  readonly approval: ApprovalRule;
  readonly approvalValidity: string;
  readonly defaultDuration: string;
  /** Capped at seven days whatever the configuration says. */
  readonly maxDuration: string;
  /** Suggestions for the UI; any duration up to `maxDuration` is accepted. */
  readonly durationPresets: readonly string[];
  readonly pendingTtl: string;
  readonly justificationRequired: boolean;
  readonly extensionRequiresApproval: boolean;
  readonly breakGlass: BreakGlassSettings;
  /**
   * Separation of duties across steps: one person never approves two steps of one item. On unless
   * a tier (or resource, or group override) sets it to false explicitly.
   */
  readonly separationOfDuties?: boolean;
  /**
   * Group whose active members approve a manager or resource-owner step nobody can fill as
   * configured (the top of the org chart, a resource whose only owner is the requester). When
   * absent, the resource owners stand in for a missing manager.
   */
  readonly fallbackGroup?: string;
}

export type TierTable = Readonly<Record<Tier, TierSettings>>;

export interface Resource {
  readonly id: string;
  readonly name: string;
  readonly connector: Connector;
  readonly target: string;
  /** Identity ids. */
  readonly owners: readonly string[];
  readonly allowedRoles: readonly string[];
  readonly tier: Tier;
  /** Break-glass happens only where both the tier and the resource allow it. */
  readonly breakGlassAllowed?: boolean;
  /** Resource-level settings: the default for every group. */
  readonly settings?: Partial<TierSettings>;
  /** Keyed by group id; a group's own override wins over the resource-level settings. */
  readonly groupOverrides?: Readonly<Record<string, Partial<TierSettings>>>;
  /** Group ids whose members may request this resource; empty or absent means everyone (see `mayRequest`). */
  readonly requestableBy?: readonly string[];
}

export interface Identity {
  readonly id: string;
  readonly kind: 'person' | 'service';
  readonly displayName: string;
  readonly email?: string;
  readonly managerId?: string;
  readonly groups: readonly string[];
  /** A service account's responsible person, who acts as its manager. */
  readonly owner?: string;
  readonly active: boolean;
}

export interface Group {
  readonly id: string;
  readonly name: string;
  readonly members: readonly string[];
}

export interface Directory {
  readonly identities: readonly Identity[];
  readonly groups: readonly Group[];
}

/** An approval an earlier request may lend (see `lendableApproval` in the access-request domain). */
export type { LendableApproval as PriorApproval } from '@kairos/access-request-domain';
