import fc from 'fast-check';
import {
  checkReview,
  evaluate,
  inboxFor,
  type ItemPolicySnapshot,
  type ReviewableItem,
  type ReviewableRequest,
  type ReviewAttempt,
  type ReviewRefusalCode,
} from './index';
import { context, NOW, request, resource } from './testing/fixtures';

function snapshotFor(tier: 2 | 3 | 4, overrides: Record<string, unknown> = {}): ItemPolicySnapshot {
  const result = evaluate(request(`db-tier-${tier}`, { duration: 'PT1H', ...overrides }), context([resource(tier)]));
  if (!result.ok || !result.items[0]) throw new Error(JSON.stringify(result));
  return result.items[0].policy;
}

const tier4 = snapshotFor(4);

function item(extra: Partial<ReviewableItem> = {}): ReviewableItem {
  return {
    itemId: 'item-1',
    policy: tier4,
    duration: 'PT1H',
    status: 'awaiting_approval',
    progress: { stepIndex: 0, votes: [] },
    submittedAt: NOW,
    ...extra,
  };
}

function pending(extra: Partial<ReviewableItem> = {}, requesterId = 'alice'): ReviewableRequest {
  return { requestId: 'req-1', requesterId, items: [item(extra)] };
}

const LATER = '2025-03-10T10:00:00.000Z';

function review(reviewerId: string, req: ReviewableRequest, extra: Partial<ReviewAttempt> = {}) {
  return checkReview({ reviewerId, request: req, itemId: 'item-1', decision: 'approve', now: LATER, ...extra });
}

const atStep = (stepIndex: number, votes: string[][] = []) => ({ progress: { stepIndex, votes } });

describe('checkReview', () => {
  describe('eligible reviewers', () => {
    it.each<[string, string, Partial<ReviewableItem>, number]>([
      ['the manager on the manager step', 'mia', {}, 0],
      ['an owner on the owner step', 'owen', atStep(1, [['mia']]), 1],
      ['the other owner too', 'olga', atStep(1, [['mia']]), 1],
      ['a security member on the 2-of-3 step', 'sec1', atStep(2, [['mia'], ['owen']]), 2],
      ['a second security member after the first', 'sec2', atStep(2, [['mia'], ['owen'], ['sec1']]), 2],
    ])('accepts %s', (_name, reviewer, extra, stepIndex) => {
      expect(review(reviewer, pending(extra))).toMatchObject({
        ok: true,
        kind: 'approval',
        stepIndex,
        deadline: '2025-03-10T21:00:00.000Z',
      });
    });

    it('accepts a rejection from an eligible reviewer', () => {
      expect(review('mia', pending(), { decision: 'reject' }).ok).toBe(true);
    });

    it('accepts shortening the duration', () => {
      expect(review('mia', pending(), { shortenDurationTo: 'PT15M' }).ok).toBe(true);
      expect(review('mia', pending(), { shortenDurationTo: 'PT1H' }).ok).toBe(true);
    });
  });

  describe('attacks', () => {
    const refusal = (code: ReviewRefusalCode) => expect.objectContaining({ ok: false, code });

    it("rejects approving one's own request", () => {
      expect(review('alice', pending())).toEqual(refusal('SELF_REVIEW'));
    });

    it("rejects approving one's own request even when a tampered snapshot lists the requester", () => {
      const tampered = { ...tier4, steps: [{ ...tier4.steps[0], approvers: ['alice', 'mia'] }] } as ItemPolicySnapshot;
      expect(review('alice', pending({ policy: tampered }))).toEqual(refusal('SELF_REVIEW'));
    });

    it('rejects voting twice to reach N', () => {
      const votes = [['mia'], ['owen'], ['sec1']];
      expect(review('sec1', pending(atStep(2, votes)))).toEqual(refusal('ALREADY_VOTED'));
    });

    it('rejects voting again after having rejected', () => {
      expect(review('mia', pending(atStep(0, [['mia']])), { decision: 'reject' })).toEqual(refusal('ALREADY_VOTED'));
    });

    it('rejects approving after the approval window', () => {
      expect(review('mia', pending(), { now: '2025-03-10T21:00:00.000Z' })).toEqual(refusal('APPROVAL_WINDOW_CLOSED'));
      expect(review('mia', pending({ pendingUntil: '2025-03-10T09:30:00.000Z' }))).toEqual(refusal('APPROVAL_WINDOW_CLOSED'));
    });

    it.each(['approved', 'rejected', 'expired', 'cancelled', 'granted', 'revoked'] as const)(
      'rejects approving an item that is already %s',
      (status) => {
        expect(review('mia', pending({ status }))).toEqual(refusal('APPROVAL_WINDOW_CLOSED'));
      },
    );

    it('rejects approving a step one is not on', () => {
      expect(review('sec1', pending())).toEqual(refusal('NOT_ELIGIBLE_FOR_STEP'));
      // the manager cannot jump ahead to the security step either
      expect(review('mia', pending(atStep(2, [['mia'], ['owen']])))).toEqual(refusal('NOT_ELIGIBLE_FOR_STEP'));
    });

    it('rejects approving a later step before its turn', () => {
      expect(review('owen', pending())).toEqual(refusal('NOT_ELIGIBLE_FOR_STEP'));
    });

    it('rejects approving an item whose resource one does not own', () => {
      expect(review('mia', pending(atStep(1, [['mia']])))).toEqual(refusal('NOT_RESOURCE_OWNER'));
    });

    it('rejects lengthening a duration', () => {
      expect(review('mia', pending(), { shortenDurationTo: 'PT1H1S' })).toEqual(refusal('DURATION_LENGTHENED'));
    });

    it('rejects an unreadable shortened duration', () => {
      expect(review('mia', pending(), { shortenDurationTo: 'P1M' })).toEqual(refusal('DURATION_INVALID'));
    });

    it('rejects reviewing an item that is not on the request', () => {
      expect(review('mia', pending(), { itemId: 'item-2' })).toEqual(refusal('ITEM_NOT_REVIEWABLE'));
    });

    it('rejects reviewing an automatic item', () => {
      const automatic = snapshotFor(2, { requester: 'build-bot' });
      const auto = { ...automatic, mode: 'automatic' as const, steps: [] };
      expect(review('mia', pending({ policy: auto }))).toEqual(refusal('ITEM_NOT_REVIEWABLE'));
      expect(review('mia', pending({ policy: auto, status: 'granted' }))).toEqual(refusal('ITEM_NOT_REVIEWABLE'));
    });

    it('rejects reviewing past the last step', () => {
      expect(review('mia', pending(atStep(3)))).toEqual(refusal('ITEM_NOT_REVIEWABLE'));
    });
  });

  describe('break-glass ratification', () => {
    const ratifying = (extra: Partial<ReviewableItem> = {}, requesterId = 'alice') =>
      pending({ status: 'awaiting_ratification', breakGlass: { ratifyBy: '2025-03-10T13:00:00.000Z' }, ...extra }, requesterId);

    it('accepts a ratifier before the deadline', () => {
      expect(review('sec3', ratifying())).toMatchObject({ ok: true, kind: 'ratification', deadline: '2025-03-10T13:00:00.000Z' });
    });

    it.each<[string, string, Partial<ReviewableItem>, string, ReviewRefusalCode]>([
      ['someone who is not a ratifier', 'mia', {}, LATER, 'NOT_ELIGIBLE_FOR_STEP'],
      ['after the deadline', 'sec3', {}, '2025-03-10T13:00:00.000Z', 'APPROVAL_WINDOW_CLOSED'],
      ['twice', 'sec3', { breakGlass: { ratifyBy: '2025-03-10T13:00:00.000Z', votes: ['sec3'] } }, LATER, 'ALREADY_VOTED'],
      ['an item that never broke the glass', 'sec3', { breakGlass: undefined }, LATER, 'ITEM_NOT_REVIEWABLE'],
    ])('rejects ratification by %s', (_name, reviewer, extra, now, code) => {
      expect(review(reviewer, ratifying(extra), { now })).toMatchObject({ ok: false, code });
    });

    it("rejects ratifying one's own break-glass", () => {
      expect(review('sec1', ratifying({ policy: snapshotFor(4, { requester: 'sec1' }) }, 'sec1'))).toMatchObject({
        ok: false,
        code: 'SELF_REVIEW',
      });
    });
  });
});

describe('inboxFor', () => {
  const requests: ReviewableRequest[] = [
    { requestId: 'r-manager', requesterId: 'alice', items: [item({ itemId: 'a' })] },
    { requestId: 'r-owner', requesterId: 'alice', items: [item({ itemId: 'b', ...atStep(1, [['mia']]) })] },
    { requestId: 'r-voted', requesterId: 'carl', items: [item({ itemId: 'c', ...atStep(2, [['mia'], ['owen'], ['sec1']]) })] },
    { requestId: 'r-closed', requesterId: 'carl', items: [item({ itemId: 'd', status: 'approved' })] },
    { requestId: 'r-stale', requesterId: 'carl', items: [item({ itemId: 'e', pendingUntil: '2025-03-10T09:30:00.000Z' })] },
    { requestId: 'r-own', requesterId: 'mia', items: [item({ itemId: 'f' })] },
    { requestId: 'r-security', requesterId: 'carl', items: [item({ itemId: 'g', ...atStep(2, [['mia'], ['owen'], ['sec2']]) })] },
  ];
  const inbox = (reviewer: string) => inboxFor(reviewer, requests, LATER).map((entry) => `${entry.requestId}/${entry.itemId}`);

  it.each<[string, string[]]>([
    ['mia', ['r-manager/a']],
    ['owen', ['r-owner/b']],
    ['sec1', ['r-security/g']],
    ['sec2', ['r-voted/c']],
    ['alice', []],
  ])('%s sees only items awaiting their vote on the current step', (reviewer, expected) => {
    expect(inbox(reviewer)).toEqual(expected);
  });

  it('carries the step and deadline', () => {
    expect(inboxFor('owen', requests, LATER)).toEqual([
      {
        requestId: 'r-owner',
        requesterId: 'alice',
        itemId: 'b',
        kind: 'approval',
        stepIndex: 1,
        stepName: 'resource owners',
        deadline: '2025-03-10T21:00:00.000Z',
      },
    ]);
  });
});

describe('review properties', () => {
  const people = ['alice', 'mia', 'owen', 'olga', 'sec1', 'sec2', 'sec3', 'carl'];
  const person = fc.constantFrom(...people);
  const step = fc.record({
    name: fc.constant('step'),
    mode: fc.constantFrom('manager' as const, 'resource_owner' as const, 'named' as const, 'group' as const),
    approvers: fc.uniqueArray(person, { minLength: 1, maxLength: 4 }),
    required: fc.integer({ min: 1, max: 2 }),
  });
  const scenario = fc.record({
    requester: person,
    reviewer: person,
    steps: fc.array(step, { minLength: 1, maxLength: 3 }),
    stepIndex: fc.integer({ min: 0, max: 3 }),
    votes: fc.array(fc.uniqueArray(person, { maxLength: 3 }), { maxLength: 3 }),
    minutesLater: fc.integer({ min: 0, max: 48 * 60 }),
    status: fc.constantFrom('awaiting_approval' as const, 'approved' as const, 'expired' as const),
  });

  it('accepts a review only from a non-requester on the current step who has not voted, inside the window', () => {
    fc.assert(
      fc.property(scenario, ({ requester, reviewer, steps, stepIndex, votes, minutesLater, status }) => {
        const policy = { ...tier4, steps };
        const now = new Date(Date.parse(NOW) + minutesLater * 60_000).toISOString();
        const verdict = review(reviewer, pending({ policy, status, progress: { stepIndex, votes } }, requester), { now });
        const current = steps[stepIndex];
        const shouldPass =
          reviewer !== requester &&
          status === 'awaiting_approval' &&
          current !== undefined &&
          current.approvers.includes(reviewer) &&
          !(votes[stepIndex] ?? []).includes(reviewer) &&
          minutesLater < 12 * 60;
        expect(verdict.ok).toBe(shouldPass);
        if (reviewer === requester) expect(verdict).toMatchObject({ ok: false, code: 'SELF_REVIEW' });
      }),
      { numRuns: 500 },
    );
  });
});
