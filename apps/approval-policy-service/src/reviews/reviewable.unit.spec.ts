import { checkReview, inboxFor } from '@kairos/approval-policy-domain';
import type { ItemPolicySnapshot } from '@kairos/contracts';
import type { RequestView } from '../read-model/request-view';
import { inboxItem, similarRequests } from './inbox';
import { refusalStatus } from './refusals';
import { roundKey, roundOf, toReviewable } from './reviewable';

const T = '2030-01-01T00:00:00.000Z';
const policy: ItemPolicySnapshot = {
  policyId: 'db/tier-4',
  policyVersion: 1,
  tier: 4,
  mode: 'group',
  steps: [{ name: 'Security (2 of 3)', mode: 'group', approvers: ['s1', 's2', 's3'], required: 2 }],
  approvalValidity: 'PT8H',
  maxDuration: 'PT8H',
  pendingTtl: 'PT12H',
  justificationRequired: true,
  extensionRequiresApproval: true,
  breakGlass: { allowed: true, ratifyWithin: 'PT4H', ratifiers: ['s1'] },
  target: { connector: 'postgres', target: 'postgres://db' },
};

const view = (extra: Partial<RequestView['items'][number]> = {}, requestId = 'r1', requestedAt = T): RequestView => ({
  requestId,
  requester: { id: 'alice', kind: 'person' },
  requestedBy: 'alice',
  justification: 'why',
  duration: 'PT2H',
  breakGlass: false,
  requestedAt,
  items: [
    {
      itemId: 'i1',
      resourceId: 'db',
      role: 'read',
      policy,
      pendingExpiresAt: '2030-01-01T12:00:00.000Z',
      duration: 'PT2H',
      status: 'awaiting_approval',
      stepIndex: 0,
      votes: [['s1']],
      ...extra,
    },
  ],
});

describe('reviewing against the read copy', () => {
  it('counts a vote accepted here but not yet on the stream as cast', () => {
    const reviewable = toReviewable(view({ votes: [[]] }), [{ itemId: 'i1', round: 'approval:0', reviewerId: 's2' }]);
    const attempt = { request: reviewable, itemId: 'i1', decision: 'approve' as const, now: T };
    expect(checkReview({ ...attempt, reviewerId: 's2' })).toMatchObject({ ok: false, code: 'ALREADY_VOTED' });
    expect(checkReview({ ...attempt, reviewerId: 's3' })).toMatchObject({ ok: true });
  });

  it('ignores local votes of an earlier round', () => {
    const reviewable = toReviewable(view({ votes: [[]] }), [{ itemId: 'i1', round: 'ratification', reviewerId: 's2' }]);
    expect(checkReview({ request: reviewable, itemId: 'i1', decision: 'approve', now: T, reviewerId: 's2' })).toMatchObject({ ok: true });
  });

  it('names one round per reviewable state', () => {
    const base = view().items[0]!;
    expect(roundKey(roundOf(base))).toBe('approval:0');
    expect(
      roundKey(roundOf({ ...base, status: 'approved', breakGlass: { ratifyBy: T, ratifiers: ['s1'], votes: [], outcome: 'pending' } })),
    ).toBe('ratification');
    expect(
      roundKey(
        roundOf({
          ...base,
          status: 'active',
          extension: { extensionId: 'e1', stepIndex: 0, votes: [[]], until: T, requestedExpiresAt: T },
        }),
      ),
    ).toBe('extension:e1:0');
    expect(roundOf({ ...base, status: 'denied' })).toEqual({ kind: 'none' });
  });

  it('closes the item to reviews once it is denied', () => {
    const reviewable = toReviewable(view({ status: 'denied' }), []);
    expect(checkReview({ request: reviewable, itemId: 'i1', decision: 'approve', now: T, reviewerId: 's2' })).toMatchObject({
      ok: false,
      code: 'APPROVAL_WINDOW_CLOSED',
    });
  });

  it('maps each refusal to its HTTP status', () => {
    expect(['SELF_REVIEW', 'NOT_ELIGIBLE_FOR_STEP', 'NOT_RESOURCE_OWNER'].map((c) => refusalStatus(c as never))).toEqual([403, 403, 403]);
    expect(['ALREADY_VOTED', 'APPROVAL_WINDOW_CLOSED', 'ITEM_NOT_REVIEWABLE'].map((c) => refusalStatus(c as never))).toEqual([
      409, 409, 409,
    ]);
    expect(['DURATION_LENGTHENED', 'DURATION_INVALID'].map((c) => refusalStatus(c as never))).toEqual([400, 400]);
  });
});

describe('an inbox line', () => {
  it('carries who, what, why, how long and the earlier requests for the same resource', () => {
    const current = view({ votes: [[]] });
    const [entry] = inboxFor('s2', [toReviewable(current, [])], T);
    const earlier = [
      view({ status: 'denied' }, 'r0', '2029-12-01T00:00:00.000Z'),
      view({ status: 'revoked' }, 'r-1', '2029-11-01T00:00:00.000Z'),
      current,
    ];
    const line = inboxItem(
      entry!,
      current,
      { id: 'alice', kind: 'person', displayName: 'Alice', managerId: 'mia', groups: [], active: true },
      'Orders DB',
      earlier,
    );
    expect(line).toMatchObject({
      kind: 'approval',
      requester: { id: 'alice', displayName: 'Alice', managerId: 'mia' },
      resource: { id: 'db', name: 'Orders DB', role: 'read', tier: 4 },
      step: { required: 2, approvers: ['s1', 's2', 's3'] },
      duration: 'PT2H',
    });
    expect(line.history.map((h) => `${h.requestId}:${h.outcome}`)).toEqual(['r0:denied', 'r-1:revoked']);
  });

  it("never lists other people's requests as history", () => {
    const other = { ...view({}, 'r9'), requester: { id: 'bob', kind: 'person' as const } };
    expect(similarRequests(view(), 'db', [other])).toEqual([]);
  });
});
