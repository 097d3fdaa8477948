import {
  ALICE,
  at,
  BOB,
  CAROL,
  DAVE,
  ERIN,
  given,
  history,
  item,
  policy,
  review,
  submit,
  twoStepPolicy,
} from './testing';

const submittedTwoStep = () => history(submit({ items: [item('db', twoStepPolicy())] }));

describe('reviewing an item', () => {
  describe('when the only approver of a one-step policy approves', () => {
    it('records the review, passes the step, approves the item and asks for the grant', () => {
      const { events } = given(...history(submit()))
        .when(review(BOB, 'approve', { reviewId: 'rv-1' }))
        .thenEmits('ReviewRecorded', 'ApprovalStepPassed', 'ItemApproved', 'GrantRequested');
      expect(events[0]?.data).toMatchObject({ reviewId: 'rv-1', subject: 'approval', step: 0, stepName: 'manager' });
      expect(events[2]?.data).toMatchObject({
        via: 'reviews',
        duration: 'PT2H',
        approvalExpiresAt: at('P7DT10M'),
        approvedAt: at('PT10M'),
      });
    });
  });

  describe('when the policy has steps', () => {
    it('passes the steps in order and needs the required count of distinct approvers', () => {
      const afterManager = [...submittedTwoStep(), ...history()];
      const step1 = given(...afterManager)
        .when(review(BOB))
        .thenEmits('ReviewRecorded', 'ApprovalStepPassed');
      const afterStep1 = [...afterManager, ...step1.events];
      const carol = given(...afterStep1)
        .when(review(CAROL))
        .thenEmits('ReviewRecorded');
      const { events } = given(...afterStep1, ...carol.events)
        .when(review(DAVE))
        .thenEmits('ReviewRecorded', 'ApprovalStepPassed', 'ItemApproved', 'GrantRequested');
      expect(events[1]?.data).toMatchObject({ step: 1, approvedBy: [CAROL, DAVE] });
    });

    it('refuses a later step approver voting before their step', () => {
      given(...submittedTwoStep())
        .when(review(CAROL))
        .thenThrows('ACCESS_REQUEST.NOT_ELIGIBLE');
    });

    it('refuses a second vote by the same person in a step', () => {
      const events = [...submittedTwoStep(), ...history()];
      const step1 = given(...events)
        .when(review(BOB))
        .thenEmits('ReviewRecorded', 'ApprovalStepPassed').events;
      const carol = given(...events, ...step1)
        .when(review(CAROL))
        .thenEmits('ReviewRecorded').events;
      given(...events, ...step1, ...carol)
        .when(review(CAROL))
        .thenThrows('ACCESS_REQUEST.ALREADY_REVIEWED');
    });
  });

  describe('when a reviewer denies', () => {
    it('ends the item with the reason', () => {
      const { events, state } = given(...history(submit()))
        .when(review(BOB, 'deny', { comment: 'use the read replica' }))
        .thenEmits('ReviewRecorded', 'ItemDenied');
      expect(events[1]?.data).toMatchObject({ deniedBy: BOB, reason: 'use the read replica' });
      expect(state.status).toBe('closed');
    });

    it('one deny in a later step ends the item even after earlier approvals', () => {
      const events = submittedTwoStep();
      const step1 = given(...events)
        .when(review(BOB))
        .thenEmits('ReviewRecorded', 'ApprovalStepPassed').events;
      given(...events, ...step1)
        .when(review(ERIN, 'deny'))
        .thenEmits('ReviewRecorded', 'ItemDenied');
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
          items: [
            item('db', policy({ steps: [{ name: 'owners', mode: 'group', approvers: [BOB, CAROL], required: 1 }] })),
          ],
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
      const { events } = given(...history(submit()))
        .when(review(BOB, 'approve', { shortenDurationTo: 'PT30M' }))
        .thenEmits('ReviewRecorded', 'ApprovalStepPassed', 'ItemApproved', 'GrantRequested');
      expect(events[2]?.data).toMatchObject({ duration: 'PT30M' });
      expect(events[3]?.data).toMatchObject({ duration: 'PT30M' });
    });

    it('keeps the shortest duration across steps', () => {
      const events = submittedTwoStep();
      const step1 = given(...events)
        .when(review(BOB, 'approve', { shortenDurationTo: 'PT1H' }))
        .thenEmits('ReviewRecorded', 'ApprovalStepPassed').events;
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
