import type { ApprovalStepSnapshot, ItemPolicySnapshot } from '@kairos/contracts';
import { escalationSources, fulfillersOf } from './plan';

const policy = (overrides: Partial<ItemPolicySnapshot> = {}): ItemPolicySnapshot => ({
  policyId: 'orders-db/tier-1',
  policyVersion: 1,
  tier: 1,
  mode: 'manager',
  steps: [],
  approvalValidity: 'P7D',
  maxDuration: 'PT8H',
  pendingTtl: 'P1D',
  justificationRequired: false,
  extensionRequiresApproval: true,
  breakGlass: { allowed: false, ratifyWithin: 'PT4H', ratifiers: [] },
  fulfillers: ['otto', 'owen'],
  target: { connector: 'manual', target: 'billing' },
  ...overrides,
});
const manager: ApprovalStepSnapshot = { name: 'manager', mode: 'manager', approvers: ['mia'], required: 1 };

describe('who an unanswered review escalates to, and who is told of a manual ticket (from the policy snapshot)', () => {
  it("escalates a manager step to the resource owners the snapshot recorded, then the configured group", () => {
    expect(escalationSources(manager, policy(), 'kairos-admins')).toEqual([{ ids: ['otto', 'owen'] }, { group: 'kairos-admins' }]);
  });

  it("escalates a step that already fell back to a group to that group's members first (today's directory)", () => {
    const fellBack: ApprovalStepSnapshot = {
      name: 'platform-leads (fallback)',
      mode: 'manager',
      approvers: ['lena'],
      required: 1,
      fallback: { replaces: 'manager', source: 'group:platform-leads', reason: 'alice has no active manager' },
    };
    expect(escalationSources(fellBack, policy(), 'kairos-admins')).toEqual([{ group: 'platform-leads' }, { ids: ['otto', 'owen'] }, { group: 'kairos-admins' }]);
  });

  it('never widens a named or group step to the resource owners: only the configured group, the last resort', () => {
    const named: ApprovalStepSnapshot = { name: 'named approvers (2 of 3)', mode: 'named', approvers: ['erin', 'frank', 'gail'], required: 2 };
    expect(escalationSources(named, policy(), 'kairos-admins')).toEqual([{ group: 'kairos-admins' }]);
    expect(escalationSources(named, policy(), '')).toEqual([]);
  });

  it("a step that fell back to the resource owners has no group to try: the configured group, once", () => {
    const owners: ApprovalStepSnapshot = { name: 'resource owners (fallback)', mode: 'manager', approvers: ['otto'], required: 1, fallback: { replaces: 'manager', source: 'resource owners', reason: 'no manager' } };
    expect(escalationSources(owners, policy({ fulfillers: ['otto'] }), 'otto-group')).toEqual([{ ids: ['otto'] }, { group: 'otto-group' }]);
  });

  it("sends a manual ticket to the item's recorded fulfillers, and to the configured group only when none was recorded", () => {
    expect(fulfillersOf(policy())).toEqual({ ids: ['otto', 'owen'] });
    expect(fulfillersOf(policy({ fulfillers: [] }))).toEqual({ group: '' });
    expect(fulfillersOf(policy({ fulfillers: undefined }))).toEqual({ group: '' });
  });
});
