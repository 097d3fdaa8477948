import { ALICE, at, BOB, CAROL, DAVE, ERIN, expected, given, history, item, policy, review, submit, twoStepPolicy } from './testing';

const submittedTwoStep = () => history(submit({ items: [item('db', twoStepPolicy())] }));
const SECOND_STEP = 'db-admins (2 of 3)';

/** What an approving review that completes the item emits, at T0 + 10 minutes unless told. */
const approvingReview = (o: {
  reviewId: string;
  reviewerId: string;
  step?: number;
  stepName?: string;
  approvedBy: string[];
  duration?: string;
  shortenDurationTo?: string;
}) => [
  expected.reviewRecorded({
    reviewId: o.reviewId,
    reviewerId: o.reviewerId,
    step: o.step ?? 0,
    stepName: o.stepName ?? 'manager',
    ...(o.shortenDurationTo ? { shortenDurationTo: o.shortenDurationTo } : {}),
  }),
  expected.approvalStepPassed({ approvedBy: o.approvedBy, step: o.step ?? 0, stepName: o.stepName ?? 'manager' }),
  expected.itemApproved({
    via: 'reviews',
    duration: o.duration ?? 'PT2H',
    approvalExpiresAt: at('P7DT10M'),
    approvedAt: at('PT10M'),
  }),
  expected.grantRequested({ duration: o.duration ?? 'PT2H', requestedAt: at('PT10M') }),
];

describe('reviewing an item', () => {
  describe('when the only approver of a one-step policy approves', () => {
    it('records the review, passes the step, approves the item and asks for the grant', () => {
      given(...history(submit()))
        .when(review(BOB, 'approve', { reviewId: 'rv-1' }))
        .then(approvingReview({ reviewId: 'rv-1', reviewerId: BOB, approvedBy: [BOB] }));
    });
  });

  describe('when the policy has steps', () => {
    it('passes the steps in order and needs the required count of distinct approvers', () => {
      const afterManager = submittedTwoStep();
      const step1 = [expected.reviewRecorded({ reviewId: 'rv-bob', reviewerId: BOB }), expected.approvalStepPassed({ approvedBy: [BOB] })];
      given(...afterManager)
        .when(review(BOB, 'approve', { reviewId: 'rv-bob' }))
        .then(step1);
      const afterStep1 = [...afterManager, ...step1];
      const carol = [expected.reviewRecorded({ reviewId: 'rv-carol', reviewerId: CAROL, step: 1, stepName: SECOND_STEP })];
      given(...afterStep1)
        .when(review(CAROL, 'approve', { reviewId: 'rv-carol' }))
        .then(carol);
      given(...afterStep1, ...carol)
        .when(review(DAVE, 'approve', { reviewId: 'rv-dave' }))
        .then(
          approvingReview({
            reviewId: 'rv-dave',
            reviewerId: DAVE,
            step: 1,
            stepName: SECOND_STEP,
            approvedBy: [CAROL, DAVE],
          }),
        );
    });

    it('refuses a later step approver voting before their step', () => {
      given(...submittedTwoStep())
        .when(review(CAROL))
        .thenThrows('ACCESS_REQUEST.NOT_ELIGIBLE');
    });

    it('refuses a second vote by the same person in a step', () => {
      const events = submittedTwoStep();
      const step1 = [expected.reviewRecorded({ reviewId: 'rv-bob', reviewerId: BOB }), expected.approvalStepPassed({ approvedBy: [BOB] })];
      given(...events)
        .when(review(BOB, 'approve', { reviewId: 'rv-bob' }))
        .then(step1);
      const carol = [expected.reviewRecorded({ reviewId: 'rv-carol', reviewerId: CAROL, step: 1, stepName: SECOND_STEP })];
      given(...events, ...step1)
        .when(review(CAROL, 'approve', { reviewId: 'rv-carol' }))
        .then(carol);
      given(...events, ...step1, ...carol)
        .when(review(CAROL))
        .thenThrows('ACCESS_REQUEST.ALREADY_REVIEWED');
    });
  });

  describe('when a reviewer denies', () => {
    it('ends the item with the reason', () => {
      const state = given(...history(submit()))
        .when(review(BOB, 'deny', { reviewId: 'rv-bob', comment: 'use the read replica' }))
        .then([
          expected.reviewRecorded({
            reviewId: 'rv-bob',
            reviewerId: BOB,
            decision: 'deny',
            comment: 'use the read replica',
          }),
          expected.itemDenied({ reviewId: 'rv-bob', deniedBy: BOB, reason: 'use the read replica' }),
        ]);
      expect(state.status).toBe('closed');
    });

    it('one deny in a later step ends the item even after earlier approvals', () => {
      const events = submittedTwoStep();
      const step1 = [expected.reviewRecorded({ reviewId: 'rv-bob', reviewerId: BOB }), expected.approvalStepPassed({ approvedBy: [BOB] })];
      given(...events)
        .when(review(BOB, 'approve', { reviewId: 'rv-bob' }))
        .then(step1);
      given(...events, ...step1)
        .when(review(ERIN, 'deny', { reviewId: 'rv-erin' }))
        .then([
          expected.reviewRecorded({
            reviewId: 'rv-erin',
            reviewerId: ERIN,
            decision: 'deny',
            step: 1,
            stepName: SECOND_STEP,
          }),
          expected.itemDenied({ reviewId: 'rv-erin', deniedBy: ERIN, reason: `denied at step "${SECOND_STEP}"` }),
        ]);
    });
  });

  describe('when the requester reviews their own request', () => {
    it('refuses it, even when the snapshot wrongly lists them as an approver', () => {
      const events = history(
        submit({
          items: [item('db', policy({ steps: [{ name: 'm', mode: 'named', approvers: [ALICE.id], required: 1 }] }))],
        }),
      );
      given(...events)
        .when(review(ALICE.id))
        .thenThrows('ACCESS_REQUEST.SELF_REVIEW');
    });
  });

  describe('when someone who is not an approver of the step reviews', () => {
    it('refuses the review', () => {
      given(...history(submit()))
        .when(review(ERIN))
        .thenThrows('ACCESS_REQUEST.NOT_ELIGIBLE');
    });
  });

  describe('when the same review is delivered twice', () => {
    it('records it once', () => {
      const first = review(BOB, 'approve', { reviewId: 'rv-dup' });
      const events = history(submit(), first);
      given(...events)
        .when(first)
        .thenNothing();
    });
  });

  describe('when a review arrives after the item was decided', () => {
    it('is dropped without events', () => {
      const events = history(
        submit({
          items: [item('db', policy({ steps: [{ name: 'owners', mode: 'group', approvers: [BOB, CAROL], required: 1 }] }))],
        }),
        review(BOB),
      );
      given(...events)
        .when(review(CAROL))
        .thenNothing();
    });
  });

  describe('when the item waited longer than its pending TTL', () => {
    it('refuses the review', () => {
      given(...history(submit()))
        .when(review(BOB, 'approve', { now: at('P1D') }))
        .thenThrows('ACCESS_REQUEST.APPROVAL_WINDOW_CLOSED');
    });
  });

  describe('when a reviewer shortens the duration', () => {
    it('grants the shorter duration', () => {
      given(...history(submit()))
        .when(review(BOB, 'approve', { reviewId: 'rv-bob', shortenDurationTo: 'PT30M' }))
        .then(
          approvingReview({
            reviewId: 'rv-bob',
            reviewerId: BOB,
            approvedBy: [BOB],
            shortenDurationTo: 'PT30M',
            duration: 'PT30M',
          }),
        );
    });

    it('keeps the shortest duration across steps', () => {
      const events = submittedTwoStep();
      const step1 = [
        expected.reviewRecorded({ reviewId: 'rv-bob', reviewerId: BOB, shortenDurationTo: 'PT1H' }),
        expected.approvalStepPassed({ approvedBy: [BOB] }),
      ];
      given(...events)
        .when(review(BOB, 'approve', { reviewId: 'rv-bob', shortenDurationTo: 'PT1H' }))
        .then(step1);
      given(...events, ...step1)
        .when(review(CAROL, 'approve', { shortenDurationTo: 'PT90M' }))
        .thenThrows('ACCESS_REQUEST.DURATION_LENGTHENED');
    });

    it('refuses to lengthen it', () => {
      given(...history(submit()))
        .when(review(BOB, 'approve', { shortenDurationTo: 'PT3H' }))
        .thenThrows('ACCESS_REQUEST.DURATION_LENGTHENED');
    });

    it('refuses a malformed duration', () => {
      given(...history(submit()))
        .when(review(BOB, 'approve', { shortenDurationTo: 'half' }))
        .thenThrows('ACCESS_REQUEST.INVALID_DURATION');
    });
  });

  describe('when the review names an item that is not in the request', () => {
    it('is dropped without events', () => {
      given(...history(submit()))
        .when(review(BOB, 'approve', { itemId: 'nope' }))
        .thenNothing();
    });
  });
});
