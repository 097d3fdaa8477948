import fc from 'fast-check';
import {
  defaultTiers,
  evaluate,
  mayRequest,
  parseDuration,
  PolicyConfigError,
  SEVEN_DAYS_SECONDS,
  type ApprovalRule,
  type Evaluation,
  type EvaluationProblemCode,
  type ItemPolicySnapshot,
  type Resource,
  type Tier,
} from './index';
import { context, directory, NOW, request, resource } from './testing/fixtures';

function policyOf(result: Evaluation, itemId = 'item-1'): ItemPolicySnapshot {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.problems)}`);
  const item = result.items.find((candidate) => candidate.itemId === itemId);
  if (!item) throw new Error(`no item ${itemId}`);
  return item.policy;
}

function codesOf(result: Evaluation): EvaluationProblemCode[] {
  if (result.ok) throw new Error('expected problems, got ok');
  return result.problems.map((problem) => problem.code);
}

const stepsOf = (policy: ItemPolicySnapshot) => policy.steps.map(({ mode, approvers, required }) => ({ mode, approvers, required }));

describe('evaluate', () => {
  describe('with the default tiers', () => {
    it.each<[Tier, ItemPolicySnapshot['mode'], ReturnType<typeof stepsOf>, string]>([
      [0, 'automatic', [], 'P7D'],
      [1, 'manager', [{ mode: 'manager', approvers: ['mia'], required: 1 }], 'P7D'],
      [2, 'manager', [{ mode: 'manager', approvers: ['mia'], required: 1 }], 'P3D'],
      [
        3,
        'steps',
        [
          { mode: 'manager', approvers: ['mia'], required: 1 },
          { mode: 'resource_owner', approvers: ['olga', 'owen'], required: 1 },
        ],
        'P1D',
      ],
      [
        4,
        'steps',
        [
          { mode: 'manager', approvers: ['mia'], required: 1 },
          { mode: 'resource_owner', approvers: ['olga', 'owen'], required: 1 },
          { mode: 'group', approvers: ['sec1', 'sec2', 'sec3'], required: 2 },
        ],
        'PT8H',
      ],
    ])('tier %i asks for %s approval', (tier, mode, steps, maxDuration) => {
      const policy = policyOf(evaluate(request(`db-tier-${tier}`), context([resource(tier)])));
      expect(policy).toMatchObject({ tier, mode, maxDuration, policyVersion: 7, justificationRequired: true });
      expect(stepsOf(policy)).toEqual(steps);
      expect(policy.target).toEqual({ connector: 'postgres', target: `postgres://db-${tier}.internal/app` });
    });

    it('requires a justification on every tier, automatic included', () => {
      for (const tier of [0, 1, 2, 3, 4] as const) {
        expect(defaultTiers()[tier].justificationRequired).toBe(true);
        const result = evaluate(request(`db-tier-${tier}`, { justification: '   ' }), context([resource(tier)]));
        expect(codesOf(result)).toEqual(['JUSTIFICATION_REQUIRED']);
      }
    });

    it('allows break-glass from tier 2 upward only', () => {
      const allowed = [0, 1, 2, 3, 4].map((tier) => defaultTiers()[tier as Tier].breakGlass.allowed);
      expect(allowed).toEqual([false, false, true, true, true]);
    });

    it('names the security group step with its count', () => {
      const policy = policyOf(evaluate(request('db-tier-4'), context([resource(4)])));
      expect(policy.steps[2]?.name).toBe('Security (2 of 3)');
    });
  });

  describe('each approval mode', () => {
    const withRule = (approval: ApprovalRule, extra: Partial<Resource> = {}) =>
      evaluate(request('db-tier-1'), context([resource(1, { settings: { approval }, ...extra })]));

    it.each<[string, ApprovalRule, ReturnType<typeof stepsOf>]>([
      ['automatic', { mode: 'automatic' }, []],
      ['manager', { mode: 'manager' }, [{ mode: 'manager', approvers: ['mia'], required: 1 }]],
      ['resource_owner', { mode: 'resource_owner' }, [{ mode: 'resource_owner', approvers: ['olga', 'owen'], required: 1 }]],
      [
        'named, one by default',
        { mode: 'named', approvers: ['sec2', 'ceo'] },
        [{ mode: 'named', approvers: ['ceo', 'sec2'], required: 1 }],
      ],
      [
        'named, 2 of 3',
        { mode: 'named', approvers: ['sec1', 'sec2', 'sec3'], required: 2 },
        [{ mode: 'named', approvers: ['sec1', 'sec2', 'sec3'], required: 2 }],
      ],
      ['group', { mode: 'group', group: 'security', required: 1 }, [{ mode: 'group', approvers: ['sec1', 'sec2', 'sec3'], required: 1 }]],
      [
        'steps',
        { mode: 'steps', steps: [{ mode: 'resource_owner' }, { mode: 'named', approvers: ['ceo'] }] },
        [
          { mode: 'resource_owner', approvers: ['olga', 'owen'], required: 1 },
          { mode: 'named', approvers: ['ceo'], required: 1 },
        ],
      ],
    ])('%s', (_name, approval, steps) => {
      expect(stepsOf(policyOf(withRule(approval)))).toEqual(steps);
    });

    it('drops automatic steps from a chain, and a chain of only automatic steps is automatic', () => {
      const mixed = policyOf(withRule({ mode: 'steps', steps: [{ mode: 'automatic' }, { mode: 'manager' }] }));
      expect(stepsOf(mixed)).toEqual([{ mode: 'manager', approvers: ['mia'], required: 1 }]);
      const none = policyOf(withRule({ mode: 'steps', steps: [{ mode: 'automatic' }] }));
      expect(none.mode).toBe('automatic');
      expect(none.steps).toEqual([]);
    });

    it('leaves inactive people and service accounts out of approver sets', () => {
      const policy = policyOf(withRule({ mode: 'named', approvers: ['ivan', 'build-bot', 'ceo', 'nobody'] }));
      expect(policy.steps[0]?.approvers).toEqual(['ceo']);
    });

    it('refuses a rule that requires no approvals as a configuration error', () => {
      expect(() => withRule({ mode: 'group', group: 'security', required: 0 })).toThrow(PolicyConfigError);
    });
  });

  describe('N-of-M counting with the requester excluded', () => {
    const secResource = resource(1, { settings: { approval: { mode: 'group', group: 'security', required: 2 } } });

    it('counts the requester out of the group', () => {
      const policy = policyOf(evaluate(request('db-tier-1', { requester: 'sec1' }), context([secResource])));
      expect(policy.steps[0]).toMatchObject({ approvers: ['sec2', 'sec3'], required: 2, name: 'Security (2 of 2)' });
    });

    it('has no eligible approver when the group minus the requester is smaller than N', () => {
      const strict = resource(1, { settings: { approval: { mode: 'group', group: 'security', required: 3 } } });
      expect(policyOf(evaluate(request('db-tier-1'), context([strict]))).steps[0]?.required).toBe(3);
      expect(codesOf(evaluate(request('db-tier-1', { requester: 'sec1' }), context([strict])))).toEqual(['NO_ELIGIBLE_APPROVER']);
    });

    it('does the same for named approvers', () => {
      const named = resource(1, { settings: { approval: { mode: 'named', approvers: ['sec1', 'sec2'], required: 2 } } });
      expect(codesOf(evaluate(request('db-tier-1', { requester: 'sec2' }), context([named])))).toEqual(['NO_ELIGIBLE_APPROVER']);
    });
  });

  describe('when nobody but the requester could approve', () => {
    const withReport = {
      ...directory,
      identities: [
        ...directory.identities,
        { id: 'ivan-report', kind: 'person' as const, displayName: 'IR', managerId: 'ivan', groups: [], active: true },
        { id: 'loop', kind: 'person' as const, displayName: 'Loop', managerId: 'loop', groups: [], active: true },
      ],
    };
    const noOwners = { owners: [] as string[] };

    it.each<[string, string]>([
      ['the requester has no manager (the top of the org chart)', 'newbie'],
      ['the manager is inactive', 'ivan-report'],
      ['the service account has no owner', 'orphan-bot'],
      ['the person manages themselves', 'loop'],
    ])('asks the resource owners as the fallback when %s, and records why', (_name, requester) => {
      const policy = policyOf(evaluate(request('db-tier-1', { requester }), context([resource(1)], { directory: withReport })));
      expect(policy.steps[0]).toMatchObject({
        mode: 'manager',
        approvers: ['olga', 'owen'],
        required: 1,
        fallback: { replaces: 'manager', source: 'resource owners' },
      });
      expect(policy.steps[0]?.approvers).not.toContain(requester);
    });

    it("asks the tier's fallback group first when one is configured", () => {
      const withFallback = resource(1, { settings: { fallbackGroup: 'security' } });
      const policy = policyOf(evaluate(request('db-tier-1', { requester: 'newbie' }), context([withFallback], { directory: withReport })));
      expect(policy.steps[0]?.fallback).toMatchObject({ replaces: 'manager', source: 'group:security' });
      expect(policy.steps[0]?.approvers.length).toBeGreaterThan(0);
    });

    it.each<[string, Partial<Resource>, string]>([
      ['the requester has no manager and the resource no owner', noOwners, 'newbie'],
      ['the manager is inactive and the resource has no owner', noOwners, 'ivan-report'],
      ['the only owner is the requester', { owners: ['alice'], settings: { approval: { mode: 'resource_owner' } } }, 'alice'],
      ['the person manages themselves and the resource has no owner', noOwners, 'loop'],
    ])('refuses when %s and no fallback is configured', (_name, extra, requester) => {
      const result = evaluate(request('db-tier-1', { requester }), context([resource(1, extra)], { directory: withReport }));
      expect(codesOf(result)).toEqual(['NO_ELIGIBLE_APPROVER']);
    });
  });

  describe('fulfillers', () => {
    it("records the resource's active owners other than the requester as the fulfillers of manual tickets, whatever the approval mode", () => {
      expect(policyOf(evaluate(request('db-tier-1'), context([resource(1)]))).fulfillers).toEqual(['olga', 'owen']);
      expect(policyOf(evaluate(request('db-tier-1', { requester: 'owen' }), context([resource(1)]))).fulfillers).toEqual(['olga']);
    });
  });

  describe('service-account requesters', () => {
    it('sends the manager step to the account owner', () => {
      const policy = policyOf(evaluate(request('db-tier-3', { requester: 'build-bot' }), context([resource(3)])));
      expect(stepsOf(policy)[0]).toEqual({ mode: 'manager', approvers: ['alice'], required: 1 });
    });

    it('applies the overrides of the groups the account belongs to', () => {
      const ciAuto = resource(2, { groupOverrides: { ci: { approval: { mode: 'automatic' } } } });
      const policy = policyOf(evaluate(request('db-tier-2', { requester: 'build-bot' }), context([ciAuto])));
      expect(policy).toMatchObject({ mode: 'automatic', overrideGroup: 'ci', policyId: 'db-tier-2/tier-2/group-ci' });
    });
  });

  describe('who may request a resource (requestableBy)', () => {
    const sreOnly = resource(1, { id: 'sre-db', requestableBy: ['sre'] });

    it('refuses a request for a resource the requester\'s groups may not request, and says nothing more about it', () => {
      const result = evaluate(request('sre-db', { requester: 'carl', duration: 'P30D' }), context([sreOnly]));
      expect(result).toEqual({
        ok: false,
        problems: [{ itemId: 'item-1', code: 'NOT_ALLOWED_TO_REQUEST', message: 'carl is in none of the groups that may request Database tier 1' }],
      });
    });

    it('lets a member of one of the groups request it', () => {
      expect(evaluate(request('sre-db', { requester: 'dana' }), context([sreOnly])).ok).toBe(true);
    });

    it('refuses a service account outside the groups too', () => {
      expect(codesOf(evaluate(request('sre-db', { requester: 'build-bot' }), context([sreOnly])))).toEqual(['NOT_ALLOWED_TO_REQUEST']);
    });

    it('lets everyone request a resource that names no group (absent or empty)', () => {
      expect(evaluate(request('db-tier-1'), context([resource(1)])).ok).toBe(true);
      expect(evaluate(request('db-tier-1'), context([resource(1, { requestableBy: [] })])).ok).toBe(true);
    });

    it('is decided per item: the allowed item is not refused with the other', () => {
      const input = request('sre-db', {
        requester: 'carl',
        items: [
          { itemId: 'item-1', resourceId: 'sre-db', role: 'read' },
          { itemId: 'item-2', resourceId: 'db-tier-1', role: 'read' },
        ],
      });
      const result = evaluate(input, context([sreOnly, resource(1)]));
      expect(result.ok ? [] : result.problems.map((p) => [p.itemId, p.code])).toEqual([['item-1', 'NOT_ALLOWED_TO_REQUEST']]);
    });

    it('mayRequest is the one rule: true for any shared group, false for none', () => {
      expect(mayRequest({ requestableBy: ['a', 'b'] }, new Set(['b']))).toBe(true);
      expect(mayRequest({ requestableBy: ['a'] }, new Set(['c']))).toBe(false);
      expect(mayRequest({}, new Set())).toBe(true);
    });
  });

  describe('settings resolution', () => {
    it('uses resource-level settings as the default for everyone', () => {
      const custom = resource(2, { settings: { maxDuration: 'PT2H', approval: { mode: 'resource_owner' } } });
      const policy = policyOf(evaluate(request('db-tier-2', { duration: 'PT1H' }), context([custom])));
      expect(policy).toMatchObject({ maxDuration: 'PT2H', mode: 'resource_owner', policyId: 'db-tier-2/tier-2' });
      expect(policy.overrideGroup).toBeUndefined();
    });

    it("lets a group's own override win over the resource settings", () => {
      const custom = resource(2, {
        settings: { approval: { mode: 'resource_owner' } },
        groupOverrides: { engineering: { approval: { mode: 'manager' }, maxDuration: 'PT4H' } },
      });
      const policy = policyOf(evaluate(request('db-tier-2', { duration: 'PT1H' }), context([custom])));
      expect(policy).toMatchObject({ mode: 'manager', maxDuration: 'PT4H', overrideGroup: 'engineering' });
    });

    it('ignores overrides of groups the requester is not in', () => {
      const custom = resource(2, { groupOverrides: { contractors: { approval: { mode: 'automatic' } } } });
      expect(policyOf(evaluate(request('db-tier-2'), context([custom]))).mode).toBe('manager');
    });

    describe('when the requester is in several groups with overrides', () => {
      const dana = (groupOverrides: Resource['groupOverrides']) =>
        policyOf(evaluate(request('db-tier-2', { requester: 'dana', duration: 'PT1H' }), context([resource(2, { groupOverrides })])));

      it.each<[string, Resource['groupOverrides'], string]>([
        [
          'more required approvals wins',
          {
            sre: { approval: { mode: 'automatic' } },
            contractors: { approval: { mode: 'steps', steps: [{ mode: 'manager' }, { mode: 'resource_owner' }] } },
          },
          'contractors',
        ],
        ['then the shorter maximum duration', { contractors: { maxDuration: 'P1D' }, sre: { maxDuration: 'PT4H' } }, 'sre'],
        [
          'then the shorter approval validity',
          { contractors: { approvalValidity: 'PT1H' }, sre: { approvalValidity: 'P1D' } },
          'contractors',
        ],
        [
          'then break-glass disallowed',
          {
            contractors: { breakGlass: { allowed: true, ratifyWithin: 'PT1H' } },
            sre: { breakGlass: { allowed: false, ratifyWithin: 'PT1H' } },
          },
          'sre',
        ],
        ['then the lowest group id on a full tie', { sre: { pendingTtl: 'PT1H' }, contractors: { pendingTtl: 'PT1H' } }, 'contractors'],
      ])('the most restrictive applies: %s', (_name, overrides, winner) => {
        expect(dana(overrides).overrideGroup).toBe(winner);
      });

      it('does not depend on the order the overrides are listed in', () => {
        const a = dana({ sre: { maxDuration: 'PT4H' }, contractors: { maxDuration: 'PT4H' } });
        const b = dana({ contractors: { maxDuration: 'PT4H' }, sre: { maxDuration: 'PT4H' } });
        expect(a).toEqual(b);
      });
    });

    it('caps the maximum duration at seven days whatever the configuration says', () => {
      const lax = resource(0, { settings: { maxDuration: 'P30D' } });
      expect(policyOf(evaluate(request('db-tier-0', { duration: 'P7D' }), context([lax]))).maxDuration).toBe('P7D');
      expect(codesOf(evaluate(request('db-tier-0', { duration: 'P7DT1S' }), context([lax])))).toEqual(['DURATION_OVER_MAXIMUM']);
    });

    it('throws a configuration error for an unreadable duration in the catalogue', () => {
      const broken = resource(1, { settings: { maxDuration: 'one week' } });
      expect(() => evaluate(request('db-tier-1'), context([broken]))).toThrow(PolicyConfigError);
    });
  });

  describe('durations', () => {
    it.each<[string | undefined, EvaluationProblemCode[] | string]>([
      [undefined, 'PT4H'],
      ['PT30M', 'PT30M'],
      ['P3D', 'P3D'],
      ['PT73H', ['DURATION_OVER_MAXIMUM']],
      ['P1M', ['DURATION_INVALID']],
      ['PT0S', ['DURATION_INVALID']],
      ['soon', ['DURATION_INVALID']],
    ])('on tier 2, %s gives %j', (duration, expected) => {
      const result = evaluate(request('db-tier-2', duration === undefined ? {} : { duration }), context([resource(2)]));
      if (typeof expected === 'string') expect(result.ok && result.items[0]?.duration).toBe(expected);
      else expect(codesOf(result)).toEqual(expected);
    });

    it('accepts a custom duration that is not a preset', () => {
      expect(defaultTiers()[2].durationPresets).not.toContain('PT97M');
      expect(evaluate(request('db-tier-2', { duration: 'PT97M' }), context([resource(2)])).ok).toBe(true);
    });
  });

  describe('bad requests', () => {
    it.each<[string, Record<string, unknown>, Partial<Resource>, EvaluationProblemCode[]]>([
      ['unknown requester', { requester: 'mallory' }, {}, ['UNKNOWN_REQUESTER']],
      ['inactive requester', { requester: 'ivan' }, {}, ['INACTIVE_REQUESTER']],
      ['no items', { items: [] }, {}, ['NO_ITEMS']],
      ['unknown resource', { items: [{ itemId: 'item-1', resourceId: 'nope', role: 'read' }] }, {}, ['UNKNOWN_RESOURCE']],
      ['role not offered', { items: [{ itemId: 'item-1', resourceId: 'db-tier-1', role: 'superuser' }] }, {}, ['ROLE_NOT_ALLOWED']],
      [
        'duplicate item id',
        {
          items: [
            { itemId: 'item-1', resourceId: 'db-tier-1', role: 'read' },
            { itemId: 'item-1', resourceId: 'db-tier-1', role: 'write' },
          ],
        },
        {},
        ['DUPLICATE_ITEM'],
      ],
      ['missing justification', { justification: undefined }, {}, ['JUSTIFICATION_REQUIRED']],
    ])('%s', (_name, overrides, extra, codes) => {
      expect(codesOf(evaluate(request('db-tier-1', overrides), context([resource(1, extra)])))).toEqual(codes);
    });

    it('reports every problem of every item at once, each with its item id', () => {
      const result = evaluate(
        request('db-tier-1', {
          duration: 'P8D',
          justification: '',
          items: [
            { itemId: 'a', resourceId: 'db-tier-1', role: 'superuser' },
            { itemId: 'b', resourceId: 'missing', role: 'read' },
            { itemId: 'c', resourceId: 'db-tier-0', role: 'read' },
          ],
        }),
        context([resource(0), resource(1)]),
      );
      expect(result.ok ? [] : result.problems.map(({ itemId, code }) => `${itemId}:${code}`)).toEqual([
        'a:ROLE_NOT_ALLOWED',
        'a:DURATION_OVER_MAXIMUM',
        'a:JUSTIFICATION_REQUIRED',
        'b:UNKNOWN_RESOURCE',
        'c:DURATION_OVER_MAXIMUM',
        'c:JUSTIFICATION_REQUIRED',
      ]);
    });

    it('evaluates several items on their own tiers', () => {
      const result = evaluate(
        request('x', {
          duration: 'PT1H',
          items: [
            { itemId: 'a', resourceId: 'db-tier-0', role: 'read' },
            { itemId: 'b', resourceId: 'db-tier-3', role: 'write' },
          ],
        }),
        context([resource(0), resource(3)]),
      );
      expect([policyOf(result, 'a').mode, policyOf(result, 'b').mode]).toEqual(['automatic', 'steps']);
    });
  });

  describe('break-glass', () => {
    it.each<[string, Tier, Partial<Resource>, EvaluationProblemCode[] | readonly string[]]>([
      ['tier 2 resource that allows it: owners ratify', 2, {}, ['olga', 'owen']],
      ['tier 4: the security group ratifies', 4, {}, ['sec1', 'sec2', 'sec3']],
      ['tier 1 never', 1, {}, ['BREAK_GLASS_NOT_ALLOWED']],
      ['tier 0 never', 0, {}, ['BREAK_GLASS_NOT_ALLOWED']],
      ['tier 3 resource that does not allow it', 3, { breakGlassAllowed: false }, ['BREAK_GLASS_NOT_ALLOWED']],
      ['tier 3 resource silent about it', 3, { breakGlassAllowed: undefined }, ['BREAK_GLASS_NOT_ALLOWED']],
      ['nobody but the requester could ratify', 2, { owners: ['alice'] }, ['NO_ELIGIBLE_APPROVER']],
    ])('%s', (_name, tier, extra, expected) => {
      const result = evaluate(request(`db-tier-${tier}`, { breakGlass: true, duration: 'PT1H' }), context([resource(tier, extra)]));
      if (result.ok) {
        expect(policyOf(result).breakGlass).toMatchObject({ allowed: true, ratifiers: expected });
      } else {
        expect(codesOf(result)).toEqual(expected);
      }
    });

    it('records break-glass as not allowed on the snapshot when the resource forbids it', () => {
      const policy = policyOf(evaluate(request('db-tier-3'), context([resource(3, { breakGlassAllowed: false })])));
      expect(policy.breakGlass).toEqual({ allowed: false, ratifyWithin: 'PT12H', ratifiers: [] });
    });

    it('never lists the requester as a ratifier', () => {
      const policy = policyOf(
        evaluate(request('db-tier-4', { requester: 'sec1', breakGlass: true, duration: 'PT1H' }), context([resource(4)])),
      );
      expect(policy.breakGlass.ratifiers).toEqual(['sec2', 'sec3']);
    });
  });

  describe('reusing a prior approval (the two clocks)', () => {
    const prior = (approvalExpiresAt: string, extra: Record<string, string> = {}) => ({
      requestId: 'req-earlier',
      itemId: 'item-9',
      identityId: 'alice',
      resourceId: 'db-tier-3',
      role: 'read',
      approvalExpiresAt,
      approvedDuration: 'PT8H',
      ...extra,
    });

    it('records the reuse with what people approved, and keeps the steps they would otherwise be asked', () => {
      const policy = policyOf(
        evaluate(
          request('db-tier-3', { duration: 'PT1H' }),
          context([resource(3)], { priorApprovals: [prior('2025-03-10T12:00:00.000Z')] }),
        ),
      );
      expect(policy).toMatchObject({
        mode: 'steps',
        reusesApproval: {
          requestId: 'req-earlier',
          itemId: 'item-9',
          approvalExpiresAt: '2025-03-10T12:00:00.000Z',
          approvedDuration: 'PT8H',
        },
      });
      expect(policy.steps.length).toBeGreaterThan(0);
    });

    it('refuses reusing an approval for longer than the people approved: the steps are asked again', () => {
      const policy = policyOf(
        evaluate(
          request('db-tier-3', { duration: 'PT1H' }),
          context([resource(3)], { priorApprovals: [prior('2025-03-10T12:00:00.000Z', { approvedDuration: 'PT30M' })] }),
        ),
      );
      expect(policy.reusesApproval).toBeUndefined();
    });

    it('picks the approval that lasts longest', () => {
      const priors = [prior('2025-03-10T10:00:00.000Z', { requestId: 'a' }), prior('2025-03-10T11:00:00.000Z', { requestId: 'b' })];
      expect(policyOf(evaluate(request('db-tier-3'), context([resource(3)], { priorApprovals: priors }))).reusesApproval?.requestId).toBe(
        'b',
      );
    });

    it.each<[string, ReturnType<typeof prior>]>([
      ['the approval has expired', prior('2025-03-10T08:59:59.999Z')],
      ['the approval expires exactly now', prior(NOW)],
      ['it was for someone else', prior('2025-03-11T00:00:00.000Z', { identityId: 'mia' })],
      ['it was for another role', prior('2025-03-11T00:00:00.000Z', { role: 'write' })],
      ['it was for another resource', prior('2025-03-11T00:00:00.000Z', { resourceId: 'db-tier-2' })],
    ])('asks a human again when %s', (_name, approval) => {
      const policy = policyOf(evaluate(request('db-tier-3'), context([resource(3)], { priorApprovals: [approval] })));
      expect(policy.mode).toBe('steps');
      expect(policy.reusesApproval).toBeUndefined();
    });

    it('still enforces the duration limit when reusing', () => {
      const result = evaluate(
        request('db-tier-3', { duration: 'P2D' }),
        context([resource(3)], { priorApprovals: [prior('2025-03-11T00:00:00.000Z')] }),
      );
      expect(codesOf(result)).toEqual(['DURATION_OVER_MAXIMUM']);
    });
  });

  describe('properties', () => {
    const ids = ['alice', 'mia', 'ceo', 'owen', 'olga', 'sec1', 'sec2', 'sec3', 'carl', 'sam', 'dana', 'newbie', 'build-bot'];
    const id = fc.constantFrom(...ids);
    const single = fc.oneof(
      fc.constant<ApprovalRule>({ mode: 'automatic' }),
      fc.constant<ApprovalRule>({ mode: 'manager' }),
      fc.constant<ApprovalRule>({ mode: 'resource_owner' }),
      fc.record({
        mode: fc.constant('named' as const),
        approvers: fc.uniqueArray(id, { minLength: 1, maxLength: 5 }),
        required: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({
        mode: fc.constant('group' as const),
        group: fc.constantFrom('security', 'engineering', 'sre'),
        required: fc.integer({ min: 1, max: 3 }),
      }),
    ) as fc.Arbitrary<Exclude<ApprovalRule, { mode: 'steps' }>>;
    const rule: fc.Arbitrary<ApprovalRule> = fc.oneof(
      single,
      fc.record({ mode: fc.constant('steps' as const), steps: fc.array(single, { minLength: 1, maxLength: 4 }) }),
    );
    const duration = fc.integer({ min: 1, max: 90 * 24 }).map((hours) => `PT${hours}H`);

    it('never puts the requester among approvers or ratifiers, and never allows more than seven days', () => {
      fc.assert(
        fc.property(
          id,
          fc.constantFrom<Tier>(0, 1, 2, 3, 4),
          rule,
          fc.uniqueArray(id, { maxLength: 3 }),
          duration,
          fc.boolean(),
          (requester, tier, approval, owners, maxDuration, breakGlass) => {
            const res = resource(tier, { owners, settings: { approval, maxDuration }, groupOverrides: { sre: { maxDuration: 'P60D' } } });
            const result = evaluate(request(res.id, { requester, breakGlass, duration: 'PT1H' }), context([res]));
            if (!result.ok) return;
            for (const { policy } of result.items) {
              for (const step of policy.steps) {
                expect(step.approvers).not.toContain(requester);
                expect(step.approvers.length).toBeGreaterThanOrEqual(step.required);
              }
              expect(policy.breakGlass.ratifiers).not.toContain(requester);
              expect(parseDuration(policy.maxDuration)).toBeLessThanOrEqual(SEVEN_DAYS_SECONDS);
            }
          },
        ),
        { numRuns: 400 },
      );
    });
  });
});
