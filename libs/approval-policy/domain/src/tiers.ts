import { assertNever } from '@kairos/contracts';
import type { ApprovalRule, SingleApprovalRule, Tier, TierSettings, TierTable } from './model';

export interface DefaultTierOptions {
  /** Group whose members give the final 2-of-N approval on tier 4 and ratify its break-glass. */
  readonly securityGroup?: string;
}

/**
 * Sensitivity tiers from harmless (0) to critical (4). Stricter tiers ask more people, keep
 * approvals and access shorter, and give less time to ratify a break-glass grant. A reason is
 * always required, even when approval is automatic.
 */
export function defaultTiers(options: DefaultTierOptions = {}): TierTable {
  const securityGroup = options.securityGroup ?? 'security';
  return {
    0: {
      approval: { mode: 'automatic' },
      approvalValidity: 'P30D',
      defaultDuration: 'PT8H',
      maxDuration: 'P7D',
      durationPresets: ['PT1H', 'PT8H', 'P1D', 'P7D'],
      pendingTtl: 'P1D',
      justificationRequired: true,
      extensionRequiresApproval: false,
      breakGlass: { allowed: false, ratifyWithin: 'P1D' },
    },
    1: {
      approval: { mode: 'manager' },
      approvalValidity: 'P30D',
      defaultDuration: 'PT8H',
      maxDuration: 'P7D',
      durationPresets: ['PT1H', 'PT8H', 'P1D', 'P7D'],
      pendingTtl: 'P3D',
      justificationRequired: true,
      extensionRequiresApproval: false,
      breakGlass: { allowed: false, ratifyWithin: 'P1D' },
    },
    2: {
      approval: { mode: 'manager' },
      approvalValidity: 'P7D',
      defaultDuration: 'PT4H',
      maxDuration: 'P3D',
      durationPresets: ['PT1H', 'PT4H', 'P1D', 'P3D'],
      pendingTtl: 'P2D',
      justificationRequired: true,
      extensionRequiresApproval: true,
      breakGlass: { allowed: true, ratifyWithin: 'P1D' },
    },
    3: {
      approval: { mode: 'steps', steps: [{ mode: 'manager' }, { mode: 'resource_owner' }] },
      approvalValidity: 'P1D',
      defaultDuration: 'PT2H',
      maxDuration: 'P1D',
      durationPresets: ['PT30M', 'PT2H', 'PT8H', 'P1D'],
      pendingTtl: 'P1D',
      justificationRequired: true,
      extensionRequiresApproval: true,
      breakGlass: { allowed: true, ratifyWithin: 'PT12H' },
    },
    4: {
      approval: {
        mode: 'steps',
        steps: [{ mode: 'manager' }, { mode: 'resource_owner' }, { mode: 'group', group: securityGroup, required: 2 }],
      },
      approvalValidity: 'PT8H',
      defaultDuration: 'PT1H',
      maxDuration: 'PT8H',
      durationPresets: ['PT15M', 'PT1H', 'PT4H', 'PT8H'],
      pendingTtl: 'PT12H',
      justificationRequired: true,
      extensionRequiresApproval: true,
      breakGlass: { allowed: true, ratifyWithin: 'PT4H', ratifierGroup: securityGroup },
    },
  } satisfies Record<Tier, TierSettings>;
}

/**
 * How many human approvals a rule asks for before any directory lookup. Used to rank group
 * overrides by strictness; a chain asks for the sum of its steps.
 */
export function approvalWeight(rule: ApprovalRule): number {
  if (rule.mode === 'steps') return rule.steps.reduce((sum, step) => sum + approvalWeight(step), 0);
  return singleWeight(rule);
}

function singleWeight(rule: SingleApprovalRule): number {
  switch (rule.mode) {
    case 'automatic':
      return 0;
    case 'manager':
    case 'resource_owner':
      return 1;
    case 'named':
      return rule.required ?? 1;
    case 'group':
      return rule.required;
    default:
      return assertNever(rule);
  }
}

export { assertNever };
