import type { AccessRequestEvent, ItemPolicySnapshot } from '@kairos/contracts';
import { evolve, isOpen, type RequestView } from './request-view';

const policy = (extra: Partial<ItemPolicySnapshot> = {}): ItemPolicySnapshot => ({
  policyId: 'db/tier-4',
  policyVersion: 3,
  tier: 4,
  mode: 'steps',
  steps: [
    { name: 'manager', mode: 'manager', approvers: ['mia'], required: 1 },
    { name: 'Security (2 of 3)', mode: 'group', approvers: ['s1', 's2', 's3'], required: 2 },
  ],
  approvalValidity: 'PT8H',
  maxDuration: 'PT8H',
  pendingTtl: 'PT12H',
  justificationRequired: true,
  extensionRequiresApproval: true,
  breakGlass: { allowed: true, ratifyWithin: 'PT4H', ratifiers: ['s1', 's2'] },
  target: { connector: 'postgres', target: 'postgres://db' },
  ...extra,
});

const T = '2030-01-01T00:00:00.000Z';
const requested: AccessRequestEvent = {
  type: 'AccessRequested',
  data: {
    requestId: 'r1',
    requester: { id: 'alice', kind: 'person' },
    requestedBy: 'alice',
    onBehalf: false,
    justification: 'why',
    duration: 'PT2H',
    breakGlass: false,
    items: [{ itemId: 'i1', resourceId: 'db', role: 'read', policy: policy(), pendingExpiresAt: '2030-01-01T12:00:00.000Z' }],
    requestedAt: T,
  },
};

const fold = (events: AccessRequestEvent[]): RequestView | undefined =>
  events.reduce<RequestView | undefined>((view, event) => {
    const result = evolve(view, event);
    return result.kind === 'changed' ? result.view : view;
  }, undefined);

const review = (reviewerId: string, step: number): AccessRequestEvent => ({
  type: 'ReviewRecorded',
  data: {
    requestId: 'r1',
    itemId: 'i1',
    reviewId: `rv-${reviewerId}-${step}`,
    reviewerId,
    decision: 'approve',
    subject: 'approval',
    step,
    stepName: 's',
    submittedAt: T,
    recordedAt: T,
  },
});

describe('the read copy of a request', () => {
  it('starts awaiting the first step with no votes', () => {
    expect(fold([requested])?.items[0]).toMatchObject({ status: 'awaiting_approval', stepIndex: 0, votes: [[], []], duration: 'PT2H' });
  });

  it('counts votes per step and moves on when a step passes', () => {
    const view = fold([
      requested,
      review('mia', 0),
      {
        type: 'ApprovalStepPassed',
        data: { requestId: 'r1', itemId: 'i1', step: 0, stepName: 'manager', approvedBy: ['mia'], passedAt: T },
      },
      review('s1', 1),
      review('s1', 1),
    ]);
    expect(view?.items[0]).toMatchObject({ stepIndex: 1, votes: [['mia'], ['s1']] });
    expect(view && isOpen(view)).toBe(true);
  });

  it('closes when the item is approved, denied, expired or cancelled', () => {
    const closing: AccessRequestEvent[] = [
      {
        type: 'ItemApproved',
        data: { requestId: 'r1', itemId: 'i1', via: 'reviews', duration: 'PT1H', approvalExpiresAt: T, approvedAt: T },
      },
      { type: 'ItemDenied', data: { requestId: 'r1', itemId: 'i1', reviewId: 'x', deniedBy: 'mia', reason: 'no', deniedAt: T } },
      { type: 'ItemExpired', data: { requestId: 'r1', itemId: 'i1', pendingExpiresAt: T, expiredAt: T } },
      { type: 'ItemCancelled', data: { requestId: 'r1', itemId: 'i1', cancelledBy: 'alice', cancelledAt: T } },
    ];
    for (const event of closing) {
      const view = fold([requested, event]);
      expect(view && isOpen(view)).toBe(false);
    }
    expect(fold([requested, closing[0]!])?.items[0]?.duration).toBe('PT1H');
  });

  it('awaits ratification after break-glass until ratified or missed', () => {
    const invoked: AccessRequestEvent[] = [
      requested,
      {
        type: 'BreakGlassInvoked',
        data: { requestId: 'r1', itemId: 'i1', invokedBy: 'alice', ratifyBy: T, ratifiers: ['s1'], invokedAt: T },
      },
      {
        type: 'ItemApproved',
        data: { requestId: 'r1', itemId: 'i1', via: 'break_glass', duration: 'PT2H', approvalExpiresAt: T, approvedAt: T },
      },
    ];
    const pending = fold(invoked);
    expect(pending?.items[0]?.breakGlass).toEqual({ ratifyBy: T, ratifiers: ['s1'], votes: [], outcome: 'pending' });
    expect(pending && isOpen(pending)).toBe(true);
    const ratified = fold([
      ...invoked,
      { type: 'BreakGlassRatified', data: { requestId: 'r1', itemId: 'i1', reviewId: 'x', ratifiedBy: 's1', ratifiedAt: T } },
    ]);
    expect(ratified && isOpen(ratified)).toBe(false);
  });

  it('follows an extension that needs reviews until it is decided', () => {
    const granted: AccessRequestEvent[] = [
      requested,
      {
        type: 'ItemApproved',
        data: { requestId: 'r1', itemId: 'i1', via: 'reviews', duration: 'PT2H', approvalExpiresAt: T, approvedAt: T },
      },
      {
        type: 'AccessGranted',
        data: {
          requestId: 'r1',
          itemId: 'i1',
          grantId: 'g1',
          subject: { id: 'alice', kind: 'person' },
          resourceId: 'db',
          role: 'read',
          breakGlass: false,
          verified: true,
          grantedAt: T,
          expiresAt: T,
        },
      },
      {
        type: 'ExtensionRequested',
        data: {
          requestId: 'r1',
          itemId: 'i1',
          grantId: 'g1',
          extensionId: 'e1',
          requestedBy: 'alice',
          currentExpiresAt: T,
          requestedExpiresAt: '2030-01-01T02:00:00.000Z',
          requestedAt: T,
        },
      },
    ];
    const extending = fold(granted);
    expect(extending?.items[0]).toMatchObject({ status: 'active', extension: { extensionId: 'e1', stepIndex: 0 } });
    expect(extending && isOpen(extending)).toBe(true);
    const extended = fold([
      ...granted,
      {
        type: 'AccessExtended',
        data: {
          requestId: 'r1',
          itemId: 'i1',
          grantId: 'g1',
          via: 'reviews',
          extensionId: 'e1',
          previousExpiresAt: T,
          expiresAt: T,
          extendedAt: T,
        },
      },
    ]);
    expect(extended && isOpen(extended)).toBe(false);
  });

  it('ignores a repeated AccessRequested and reports events for a request it never saw', () => {
    const view = fold([requested]);
    expect(evolve(view, requested)).toEqual({ kind: 'unchanged' });
    expect(evolve(undefined, review('mia', 0))).toEqual({ kind: 'unknown_request' });
  });
});
