import { fold } from './state';
import { canReview, checkReviewerIdentity, lendableApproval, pickReusableApproval, type LendableApproval } from './review-rules';
import {
  ADMIN,
  ALICE,
  asAdmin,
  at,
  automaticPolicy,
  BOB,
  cancel,
  CAROL,
  DAVE,
  expected,
  given,
  grantSucceeded,
  history,
  item,
  policy,
  REQUEST_ID,
  release,
  revoke,
  revokeSucceeded,
  review,
  submit,
  timer,
  twoStepPolicy,
} from './testing';

const request = (...events: ReturnType<typeof history>) => {
  const state = fold(events);
  if (state.status === 'empty') throw new Error('expected a request');
  return state;
};

/** Step 1: BOB (manager); step 2: any two of CAROL, DAVE, ERIN. */
const stepsWithBobEverywhere = () =>
  twoStepPolicy({
    steps: [
      { name: 'manager', mode: 'manager', approvers: [BOB], required: 1 },
      { name: 'resource owners', mode: 'resource_owner', approvers: [BOB, CAROL], required: 1 },
    ],
  });

/** What the reviewer of the last step emits when the item is approved, at T0 + 20 minutes. */
const secondStepApproved = (reviewerId: string) => [
  expected.reviewRecorded({
    reviewId: 'rv-2',
    reviewerId,
    step: 1,
    stepName: 'resource owners',
    submittedAt: at('PT20M'),
  }),
  expected.approvalStepPassed({ approvedBy: [reviewerId], step: 1, stepName: 'resource owners', passedAt: at('PT20M') }),
  expected.itemApproved({ via: 'reviews', approvedAt: at('PT20M') }),
  expected.grantRequested({ requestedAt: at('PT20M') }),
];

describe('separation of duties across steps', () => {
  it('refuses one person approving two sequential steps of one item (step 1 as manager, step 2 as owner)', () => {
    const events = history(submit({ items: [item('db', stepsWithBobEverywhere())] }), review(BOB));
    given(...events)
      .when(review(BOB, 'approve', { now: at('PT20M') }))
      .thenThrows('ACCESS_REQUEST.SEPARATION_OF_DUTIES');
    expect(canReview(request(...events), { reviewerId: BOB, itemId: 'db', decision: 'approve', now: at('PT20M') })).toMatchObject({
      ok: false,
      code: 'SEPARATION_OF_DUTIES',
    });
  });

  it('lets another eligible person pass the second step', () => {
    const events = history(submit({ items: [item('db', stepsWithBobEverywhere())] }), review(BOB));
    given(...events)
      .when(review(CAROL, 'approve', { now: at('PT20M'), reviewId: 'rv-2' }))
      .then(secondStepApproved(CAROL));
  });

  it('lets the same person approve both steps only where the tier opted out explicitly', () => {
    const optedOut = { ...stepsWithBobEverywhere(), separationOfDuties: false };
    const events = history(submit({ items: [item('db', optedOut)] }), review(BOB));
    given(...events)
      .when(review(BOB, 'approve', { now: at('PT20M'), reviewId: 'rv-2' }))
      .then(secondStepApproved(BOB));
  });
});

describe('requests raised on behalf of someone', () => {
  it('refuses an admin approving a request she raised on behalf of someone else', () => {
    const adminIsApprover = policy({ steps: [{ name: 'owners', mode: 'resource_owner', approvers: [ADMIN, BOB], required: 1 }] });
    const events = history(submit({ items: [item('db', adminIsApprover)] }, asAdmin));
    given(...events)
      .when(review(ADMIN))
      .thenThrows('ACCESS_REQUEST.OWN_ON_BEHALF_REQUEST');
    given(...events)
      .when(review(BOB, 'approve', { reviewId: 'rv-bob' }))
      .then([
        expected.reviewRecorded({ reviewId: 'rv-bob', reviewerId: BOB, stepName: 'owners' }),
        expected.approvalStepPassed({ approvedBy: [BOB], stepName: 'owners' }),
        expected.itemApproved({ via: 'reviews', approvedAt: at('PT10M') }),
        expected.grantRequested({ requestedAt: at('PT10M') }),
      ]);
  });
});

describe('who reviews, by the directory at the time of the review', () => {
  it('refuses a manager deactivated after the request was submitted', () => {
    expect(checkReviewerIdentity(BOB, { kind: 'person', active: false }, 'person')).toMatchObject({ code: 'REVIEWER_INACTIVE' });
  });

  it('refuses a service-account token whose subject is an approver', () => {
    expect(checkReviewerIdentity(BOB, { kind: 'person', active: true }, 'service')).toMatchObject({ code: 'REVIEWER_NOT_A_PERSON' });
  });

  it('refuses a token claiming kind person for what the directory says is a service account', () => {
    expect(checkReviewerIdentity('svc-bot', { kind: 'service', active: true }, 'person')).toMatchObject({
      code: 'REVIEWER_NOT_A_PERSON',
    });
  });

  it('refuses an identity the directory does not know, and lets an active person through', () => {
    expect(checkReviewerIdentity('ghost', undefined, 'person')).toMatchObject({ code: 'REVIEWER_UNKNOWN' });
    expect(checkReviewerIdentity(BOB, { kind: 'person', active: true }, undefined)).toBeUndefined();
  });
});

describe('lending an approval to a later request', () => {
  const approvedByBob = () => history(submit({ duration: 'PT30M' }), review(BOB), grantSucceeded({ now: at('PT11M') }));

  it('lends what the people approved: its end and its duration', () => {
    expect(lendableApproval(request(...approvedByBob()), 'db', at('PT20M'))).toEqual({
      requestId: REQUEST_ID,
      itemId: 'db',
      identityId: ALICE.id,
      resourceId: 'res-db',
      role: 'read',
      approvalExpiresAt: at('P7DT10M'),
      approvedDuration: 'PT30M',
    });
  });

  it('still lends after the access ran out by expiry while the approval is valid', () => {
    const expired = approvedByBob();
    const expiry = [
      expected.accessExpired({ expiresAt: at('PT41M') }),
      expected.revocationRequested({ reason: 'expired', requestedAt: at('PT41M') }),
    ];
    given(...expired)
      .when(timer('access_expiry', at('PT41M')))
      .then(expiry);
    const events = [...expired, ...expiry];
    expect(lendableApproval(request(...events), 'db', at('PT50M'))).toBeDefined();
    const revocation = expected.accessRevoked({ reason: 'expired', revokedAt: at('PT42M') });
    given(...events)
      .when(revokeSucceeded({ now: at('PT42M') }))
      .then([revocation]);
    const revoked = [...events, revocation];
    expect(lendableApproval(request(...revoked), 'db', at('PT50M'))).toBeDefined();
    expect(lendableApproval(request(...revoked), 'db', at('P8D'))).toBeUndefined();
  });

  it('never lends the approval of a released item', () => {
    const base = approvedByBob();
    const release_ = expected.revocationRequested({ reason: 'released', requestedBy: ALICE.id, requestedAt: at('PT15M') });
    given(...base)
      .when(release(undefined, 'db', at('PT15M')))
      .then([release_]);
    const released = [...base, release_];
    expect(lendableApproval(request(...released), 'db', at('PT20M'))).toBeUndefined();
  });

  it('never lends the approval of an item an admin revoked', () => {
    const base = approvedByBob();
    const revocation = expected.revocationRequested({ reason: 'revoked_by_admin', requestedBy: ADMIN, requestedAt: at('PT15M') });
    given(...base)
      .when(revoke(asAdmin, 'db', at('PT15M')))
      .then([revocation]);
    const revoked = [...base, revocation];
    expect(lendableApproval(request(...revoked), 'db', at('PT20M'))).toBeUndefined();
  });

  it('never lends an automatic approval, which no person gave', () => {
    const events = history(submit({ items: [item('db', automaticPolicy())] }), grantSucceeded());
    expect(lendableApproval(request(...events), 'db', at('PT20M'))).toBeUndefined();
  });

  it('never lends a cancelled item', () => {
    const events = history(submit(), review(BOB));
    const cancellation = [
      expected.itemCancelled({ cancelledAt: at('PT12M') }),
      expected.revocationRequested({ reason: 'cancelled', requestedBy: ALICE.id, requestedAt: at('PT12M') }),
    ];
    given(...events)
      .when(cancel(undefined, undefined, at('PT12M')))
      .then(cancellation);
    const cancelled = [...events, ...cancellation];
    expect(lendableApproval(request(...cancelled), 'db', at('PT20M'))).toBeUndefined();
  });
});

describe('picking a reusable approval', () => {
  const lent = (overrides: Partial<LendableApproval> = {}): LendableApproval => ({
    requestId: 'r-1',
    itemId: 'db',
    identityId: ALICE.id,
    resourceId: 'orders-db',
    role: 'readonly',
    approvalExpiresAt: at('P1D'),
    approvedDuration: 'PT30M',
    ...overrides,
  });
  const wanted = { identityId: ALICE.id, resourceId: 'orders-db', role: 'readonly', duration: 'PT30M' };

  it('refuses reusing an approval for longer than the people approved (30 minutes approved, 7 days asked)', () => {
    expect(pickReusableApproval([lent()], { ...wanted, duration: 'P7D' }, at())).toBeUndefined();
    expect(pickReusableApproval([lent()], wanted, at())).toMatchObject({ requestId: 'r-1' });
  });

  it('takes only the same person, resource and role, still valid, latest-ending first', () => {
    const picked = pickReusableApproval(
      [
        lent({ requestId: 'other-person', identityId: DAVE }),
        lent({ requestId: 'other-role', role: 'admin' }),
        lent({ requestId: 'ended', approvalExpiresAt: at() }),
        lent({ requestId: 'sooner', approvalExpiresAt: at('PT12H') }),
        lent({ requestId: 'later', approvalExpiresAt: at('P2D') }),
      ],
      wanted,
      at(),
    );
    expect(picked?.requestId).toBe('later');
  });
});
