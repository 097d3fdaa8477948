import { CONNECTOR_NAMES } from './connectors';
import { arrayOf, bool, instant, int, intOf, isoDuration, obj, oneOf, str } from './json-schema';

export const APPROVAL_MODES = ['automatic', 'manager', 'resource_owner', 'named', 'group', 'steps'] as const;

/** Where a connector grants an item: the connector and its target. Never holds credentials. */
export const grantTargetProperties = { connector: oneOf(CONNECTOR_NAMES), target: str() };
export const grantTargetSchema = obj(grantTargetProperties);

export const approvalStepSnapshotSchema = obj(
  {
    name: str('Human readable, e.g. "manager", "db-admins (2 of 3)"'),
    mode: oneOf(['manager', 'resource_owner', 'named', 'group']),
    approvers: arrayOf(str(), 'Identity ids eligible to review this step'),
    required: int(1, 'Distinct approvals needed to pass this step'),
    'fallback?': obj(
      {
        replaces: oneOf(['manager', 'resource_owner']),
        source: str('Where the fallback approvers came from, e.g. "group:platform-admins" or "resource owners"'),
        reason: str('Why the regular approvers could not be used'),
      },
      'Set when nobody could fill the step as configured and the fallback approvers were asked instead',
    ),
  },
  'One approval step, approvers resolved to identity ids at submission',
);

export const itemPolicySnapshotSchema = obj(
  {
    policyId: str(),
    policyVersion: int(0),
    tier: intOf([0, 1, 2, 3, 4], 'Sensitivity tier 0 (harmless) to 4 (critical)'),
    'overrideGroup?': str('Group override that supplied these settings'),
    mode: oneOf(APPROVAL_MODES),
    steps: arrayOf(approvalStepSnapshotSchema, 'Passed in order; empty when mode is automatic'),
    approvalValidity: isoDuration('How long an approval stays valid once given'),
    maxDuration: isoDuration('Longest access a single grant or extension may reach'),
    pendingTtl: isoDuration('How long the item may wait for approval'),
    justificationRequired: bool(),
    extensionRequiresApproval: bool(),
    breakGlass: obj({
      allowed: bool(),
      ratifyWithin: isoDuration('Time allowed to ratify a break-glass grant'),
      ratifiers: arrayOf(str()),
    }),
    'reusesApproval?': obj({
      requestId: str(),
      itemId: str(),
      approvalExpiresAt: instant(),
      'approvedDuration?': isoDuration('The access duration the people who approved it agreed to; a reuse grants at most this'),
    }),
    'separationOfDuties?': bool('false when the tier lets one person approve several steps of one item; absent means enforced'),
    'fulfillers?': arrayOf(str(), "Who may carry out the item's manual tickets besides admins (resolved at submission)"),
    target: grantTargetSchema,
  },
  'The policy in force at submission, resolved for one item',
);
