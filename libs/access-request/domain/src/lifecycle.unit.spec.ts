import {
  ADMIN,
  actor,
  asAdmin,
  asAlice,
  at,
  automaticPolicy,
  BOB,
  breakGlassPolicy,
  cancel,
  CAROL,
  expected,
  extend,
  given,
  grantId,
  grantSucceeded,
  history,
  item,
  policy,
  RATIFIER,
  release,
  review,
  revoke,
  revokeSucceeded,
  submit,
  timer,
  twoStepPolicy,
} from './testing';

const activeWith = (itemPolicy = automaticPolicy()) =>
  history(submit({ items: [item('db', itemPolicy)] }), grantSucceeded({ now: at('PT1M') }));
// grantedAt = T0+1m, expiresAt = T0+2h1m, maxDuration 8h, approval valid until T0+7d.

describe('timers', () => {
  describe('when the access expiry timer fires at the expiry', () => {
    it('expires the access and asks for its revocation', () => {
      given(...activeWith())
        .when(timer('access_expiry', at('PT2H1M'), { grantId: grantId() }))
        .then([
          expected.accessExpired({ expiresAt: at('PT2H1M') }),
          expected.revocationRequested({ reason: 'expired', grantId: grantId(), requestedAt: at('PT2H1M') }),
        ]);
    });
  });

  describe('when an access expiry timer fires after the access was extended', () => {
    it('does nothing: a stale timer never revokes the extended grant early', () => {
      const extension = expected.accessExtended({ extensionId: 'ext-1', previousExpiresAt: at('PT2H1M'), expiresAt: at('PT3H1M') });
      given(...activeWith())
        .when(extend({ by: 'PT1H' }))
        .then([extension]);
      const extended = [...activeWith(), extension];
      given(...extended)
        .when(timer('access_expiry', at('PT2H1M'), { grantId: grantId() }))
        .thenNothing();
      given(...extended)
        .when(timer('access_expiry', at('PT3H1M'), { grantId: grantId() }))
        .then([
          expected.accessExpired({ expiresAt: at('PT3H1M') }),
          expected.revocationRequested({ reason: 'expired', requestedAt: at('PT3H1M') }),
        ]);
    });
  });

  describe('when an access expiry timer names another grant', () => {
    it('does nothing', () => {
      given(...activeWith())
        .when(timer('access_expiry', at('PT3H'), { grantId: 'older-grant' }))
        .thenNothing();
    });
  });

  describe('when the approval expires before the grant happened', () => {
    it('ends the item and asks the connector to undo anything in flight', () => {
      const approved = history(submit({ items: [item('db', automaticPolicy())] }));
      const events = [
        expected.approvalExpired({ approvalExpiresAt: at('P7D') }),
        expected.revocationRequested({ reason: 'approval_expired', requestedAt: at('P7D') }),
      ];
      given(...approved)
        .when(timer('approval_expiry', at('P7D')))
        .then(events);
      const state = given(...approved, ...events)
        .when(revokeSucceeded())
        .then([expected.accessRevoked({ reason: 'approval_expired' })]);
      if (state.status === 'empty') throw new Error('no request');
      expect(state.items[0]).toMatchObject({ status: 'expired', expiredBy: 'approval_expired' });
    });

    it('does nothing once the access is active (the approval only gates granting and extending)', () => {
      given(...activeWith())
        .when(timer('approval_expiry', at('P7D')))
        .thenNothing();
    });

    it('does nothing when fired early', () => {
      given(...history(submit({ items: [item('db', automaticPolicy())] })))
        .when(timer('approval_expiry', at('P6D')))
        .thenNothing();
    });
  });

  describe('when the pending TTL passes', () => {
    it('expires items still awaiting approval', () => {
      const state = given(...history(submit()))
        .when(timer('pending_ttl', at('P1D')))
        .then([expected.itemExpired({ pendingExpiresAt: at('P1D'), expiredAt: at('P1D') })]);
      if (state.status === 'empty') throw new Error('no request');
      expect(state.items[0]).toMatchObject({ status: 'expired', expiredBy: 'pending_ttl' });
    });

    it('leaves approved items alone', () => {
      given(...history(submit(), review(BOB)))
        .when(timer('pending_ttl', at('P1D')))
        .thenNothing();
    });
  });
});

describe('break-glass', () => {
  const breakGlass = () =>
    history(submit({ breakGlass: true, items: [item('db', breakGlassPolicy())] }), grantSucceeded({ now: at('PT1M') }));

  describe('when nobody ratifies it in time', () => {
    it('revokes it and tells admins', () => {
      given(...breakGlass())
        .when(timer('break_glass_review', at('PT4H')))
        .then([
          expected.breakGlassRatificationMissed({ ratifyBy: at('PT4H'), missedAt: at('PT4H') }),
          expected.revocationRequested({ reason: 'break_glass_not_ratified', requestedAt: at('PT4H') }),
        ]);
    });
  });

  describe('when a ratifier confirms it', () => {
    it('records the ratification and the review timer does nothing', () => {
      const ratified = [
        expected.reviewRecorded({
          reviewId: 'rv-lead',
          reviewerId: RATIFIER,
          subject: 'break_glass_ratification',
          stepName: 'break-glass ratification',
        }),
        expected.breakGlassRatified({ reviewId: 'rv-lead', ratifiedBy: RATIFIER }),
      ];
      given(...breakGlass())
        .when(review(RATIFIER, 'approve', { reviewId: 'rv-lead' }))
        .then(ratified);
      given(...breakGlass(), ...ratified)
        .when(timer('break_glass_review', at('PT4H')))
        .thenNothing();
    });
  });

  describe('when a ratifier rejects it', () => {
    it('revokes it at once', () => {
      given(...breakGlass())
        .when(review(RATIFIER, 'deny', { reviewId: 'rv-lead' }))
        .then([
          expected.reviewRecorded({
            reviewId: 'rv-lead',
            reviewerId: RATIFIER,
            decision: 'deny',
            subject: 'break_glass_ratification',
            stepName: 'break-glass ratification',
          }),
          expected.revocationRequested({ reason: 'break_glass_rejected', requestedBy: RATIFIER, requestedAt: at('PT10M') }),
        ]);
    });
  });

  it('refuses ratification by someone who is not a ratifier', () => {
    given(...breakGlass())
      .when(review(BOB))
      .thenThrows('ACCESS_REQUEST.NOT_ELIGIBLE');
  });

  it('refuses the requester ratifying their own break-glass', () => {
    given(...breakGlass())
      .when(review('u-alice'))
      .thenThrows('ACCESS_REQUEST.SELF_REVIEW');
  });

  it('refuses a ratification after the deadline', () => {
    given(...breakGlass())
      .when(review(RATIFIER, 'approve', { now: at('PT4H') }))
      .thenThrows('ACCESS_REQUEST.APPROVAL_WINDOW_CLOSED');
  });

  it('cannot be extended', () => {
    given(...breakGlass())
      .when(extend({ by: 'PT1H' }))
      .thenThrows('ACCESS_REQUEST.NOT_EXTENDABLE');
  });
});

describe('cancelling', () => {
  describe('when the item still awaits approval', () => {
    it('cancels it', () => {
      const state = given(...history(submit()))
        .when(cancel())
        .then([expected.itemCancelled()]);
      expect(state.status).toBe('closed');
    });
  });

  describe('when the grant was already requested', () => {
    it('cancels it and asks the connector to undo the grant', () => {
      const approved = history(submit({ items: [item('db', automaticPolicy())] }));
      const events = [
        expected.itemCancelled(),
        expected.revocationRequested({ reason: 'cancelled', requestedBy: 'u-alice', requestedAt: at('PT5M') }),
      ];
      given(...approved)
        .when(cancel())
        .then(events);
      const state = given(...approved, ...events)
        .when(revokeSucceeded())
        .then([expected.accessRevoked({ reason: 'cancelled' })]);
      if (state.status === 'empty') throw new Error('no request');
      expect(state.items[0]).toMatchObject({ status: 'cancelled', cancelledBy: 'u-alice' });
    });
  });

  it('refuses to cancel an active access (release it instead)', () => {
    given(...activeWith())
      .when(cancel(asAlice, ['db']))
      .thenThrows('ACCESS_REQUEST.NOT_PENDING');
  });

  it('refuses someone else cancelling', () => {
    given(...history(submit()))
      .when(cancel(actor(BOB)))
      .thenThrows('ACCESS_REQUEST.FORBIDDEN');
  });

  it('lets an admin cancel', () => {
    given(...history(submit()))
      .when(cancel(asAdmin))
      .then([expected.itemCancelled({ cancelledBy: ADMIN })]);
  });

  it('refuses an unknown item', () => {
    given(...history(submit()))
      .when(cancel(asAlice, ['nope']))
      .thenThrows('ACCESS_REQUEST.ITEM_NOT_FOUND');
  });
});

describe('releasing and revoking', () => {
  it('lets the requester end their active access early', () => {
    given(...activeWith())
      .when(release())
      .then([expected.revocationRequested({ reason: 'released', requestedBy: 'u-alice' })]);
  });

  it('refuses releasing access that is not active', () => {
    given(...history(submit()))
      .when(release())
      .thenThrows('ACCESS_REQUEST.NOT_ACTIVE');
  });

  it('refuses a colleague releasing it', () => {
    given(...activeWith())
      .when(release(actor(CAROL)))
      .thenThrows('ACCESS_REQUEST.FORBIDDEN');
  });

  it('lets an admin revoke', () => {
    given(...activeWith())
      .when(revoke())
      .then([expected.revocationRequested({ reason: 'revoked_by_admin', requestedBy: ADMIN })]);
  });

  it('refuses a requester revoking (they release instead)', () => {
    given(...activeWith())
      .when(revoke(asAlice))
      .thenThrows('ACCESS_REQUEST.FORBIDDEN');
  });

  it('refuses revoking twice', () => {
    const events = history(submit({ items: [item('db', automaticPolicy())] }), grantSucceeded(), revoke());
    given(...events)
      .when(revoke())
      .thenThrows('ACCESS_REQUEST.NOT_ACTIVE');
  });
});

describe('extending', () => {
  describe('when the policy does not require approval and the approval is valid', () => {
    it('extends the same grant at once', () => {
      given(...activeWith())
        .when(extend({ by: 'PT1H' }))
        .then([
          expected.accessExtended({
            via: 'policy',
            extensionId: 'ext-1',
            previousExpiresAt: at('PT2H1M'),
            expiresAt: at('PT3H1M'),
          }),
        ]);
    });

    it('accepts an absolute new expiry', () => {
      given(...activeWith())
        .when(extend({ extendTo: at('PT5H') }))
        .then([expected.accessExtended({ extensionId: 'ext-1', previousExpiresAt: at('PT2H1M'), expiresAt: at('PT5H') })]);
    });
  });

  describe('when the total would pass the maximum duration', () => {
    it('refuses the extension', () => {
      given(...activeWith())
        .when(extend({ extendTo: at('PT8H2M') }))
        .thenThrows('ACCESS_REQUEST.DURATION_EXCEEDED');
    });
  });

  describe('when the extension would not move the expiry later', () => {
    it('refuses it', () => {
      given(...activeWith())
        .when(extend({ extendTo: at('PT1H') }))
        .thenThrows('ACCESS_REQUEST.INVALID_EXTENSION');
      given(...activeWith())
        .when(extend({}))
        .thenThrows('ACCESS_REQUEST.INVALID_EXTENSION');
    });
  });

  describe('when the approval has expired', () => {
    it('asks for approval again, by the same steps', () => {
      const manager = policy({ approvalValidity: 'PT30M' });
      const active = history(submit({ items: [item('db', manager)] }), review(BOB), grantSucceeded({ now: at('PT11M') }));
      const requested = [expected.extensionRequested({ currentExpiresAt: at('PT2H11M'), requestedExpiresAt: at('PT3H11M') })];
      given(...active)
        .when(extend({ by: 'PT1H' }, { now: at('PT1H') }))
        .then(requested);
      given(...active, ...requested)
        .when(review(BOB, 'approve', { now: at('PT1H5M'), reviewId: 'rv-bob' }))
        .then([
          expected.reviewRecorded({
            reviewId: 'rv-bob',
            reviewerId: BOB,
            subject: 'extension',
            extensionId: 'ext-1',
            submittedAt: at('PT1H5M'),
          }),
          expected.approvalStepPassed({ approvedBy: [BOB], extensionId: 'ext-1', passedAt: at('PT1H5M') }),
          expected.accessExtended({
            via: 'reviews',
            extensionId: 'ext-1',
            previousExpiresAt: at('PT2H11M'),
            expiresAt: at('PT3H11M'),
            extendedAt: at('PT1H5M'),
          }),
        ]);
    });
  });

  describe('when the policy requires approval for extensions', () => {
    const needsReview = twoStepPolicy({ extensionRequiresApproval: true });
    const active = () =>
      history(
        submit({ items: [item('db', needsReview)] }),
        review(BOB),
        review(CAROL),
        review('u-dave'),
        grantSucceeded({ now: at('PT11M') }),
      );

    it('records the request and refuses a second one meanwhile', () => {
      const requested = [expected.extensionRequested({ currentExpiresAt: at('PT2H11M'), requestedExpiresAt: at('PT3H11M') })];
      given(...active())
        .when(extend({ by: 'PT1H' }))
        .then(requested);
      given(...active(), ...requested)
        .when(extend({ by: 'PT2H' }, { extensionId: 'ext-2' }))
        .thenThrows('ACCESS_REQUEST.EXTENSION_PENDING');
    });

    it('keeps the current expiry when a reviewer denies the extension', () => {
      const requested = [expected.extensionRequested({ currentExpiresAt: at('PT2H11M'), requestedExpiresAt: at('PT3H11M') })];
      given(...active())
        .when(extend({ by: 'PT1H' }))
        .then(requested);
      const state = given(...active(), ...requested)
        .when(review(BOB, 'deny', { reviewId: 'rv-bob' }))
        .then([
          expected.reviewRecorded({
            reviewId: 'rv-bob',
            reviewerId: BOB,
            decision: 'deny',
            subject: 'extension',
            extensionId: 'ext-1',
          }),
          expected.extensionDenied({ reviewId: 'rv-bob', deniedBy: BOB, reason: 'extension denied at step "manager"' }),
        ]);
      if (state.status === 'empty') throw new Error('no request');
      expect(state.items[0]).toMatchObject({ status: 'active', grant: { expiresAt: at('PT2H11M') } });
    });

    it('drops a review that arrives after the access expired', () => {
      const requested = [expected.extensionRequested({ currentExpiresAt: at('PT2H11M'), requestedExpiresAt: at('PT3H11M') })];
      given(...active())
        .when(extend({ by: 'PT1H' }))
        .then(requested);
      given(...active(), ...requested)
        .when(review(BOB, 'approve', { now: at('PT2H11M') }))
        .thenNothing();
    });
  });

  it('refuses extending an access whose expiry has passed even if the timer is late', () => {
    given(...activeWith())
      .when(extend({ by: 'PT1H' }, { now: at('PT2H1M') }))
      .thenThrows('ACCESS_REQUEST.NOT_ACTIVE');
  });

  it('refuses a colleague extending it', () => {
    given(...activeWith())
      .when(extend({ by: 'PT1H' }, { by: actor(BOB) }))
      .thenThrows('ACCESS_REQUEST.FORBIDDEN');
  });
});
