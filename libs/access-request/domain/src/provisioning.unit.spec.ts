import {
  at,
  automaticPolicy,
  expected,
  given,
  grantFailed,
  grantId,
  grantSucceeded,
  history,
  item,
  provisioningStarted,
  REQUEST_ID,
  ALICE,
  revoke,
  revokeFailed,
  revokeSucceeded,
  submit,
  timer,
} from './testing';

const approved = () => history(submit({ items: [item('db', automaticPolicy())] }));
const active = () => history(submit({ items: [item('db', automaticPolicy())] }), grantSucceeded());

describe('provisioning an approved item', () => {
  describe('when the connector starts a manual fulfilment', () => {
    it('records the attempt with its ticket and ignores a redelivery', () => {
      const events = [expected.provisioningStarted({ attempt: 1, ticketId: 'TCK-9' })];
      given(...approved())
        .when(provisioningStarted({ ticketId: 'TCK-9' }))
        .then(events);
      given(...approved(), ...events)
        .when(provisioningStarted({ ticketId: 'TCK-9' }))
        .thenNothing();
    });
  });

  describe('when the grant succeeds', () => {
    it('makes the access active until grantedAt plus the effective duration', () => {
      given(...approved())
        .when(grantSucceeded({ now: at('PT1M') }))
        .then([
          {
            type: 'AccessGranted',
            data: {
              requestId: REQUEST_ID,
              itemId: 'db',
              grantId: grantId(),
              subject: ALICE,
              resourceId: 'res-db',
              role: 'read',
              breakGlass: false,
              verified: true,
              grantedAt: at('PT1M'),
              expiresAt: at('PT2H1M'),
            },
          },
        ]);
    });

    it('never grants the same grant twice when the result is redelivered', () => {
      given(...active())
        .when(grantSucceeded())
        .thenNothing();
    });

    it('ignores a result for a grant that is not the current one', () => {
      given(...approved())
        .when(grantSucceeded({ grantId: 'someone-else' }))
        .thenNothing();
    });
  });

  describe('when a grant attempt fails', () => {
    it('records the failure and keeps the item provisioning while the connector retries', () => {
      const state = given(...approved())
        .when(grantFailed({ attempt: 1 }))
        .then([expected.provisioningFailed({ attempt: 1, final: false })]);
      if (state.status === 'empty') throw new Error('no request');
      expect(state.items[0]?.status).toBe('provisioning');
    });

    it('fails the item when retries are exhausted, with reason and attempts', () => {
      const first = history(...[]).length;
      expect(first).toBe(0);
      const firstFailure = expected.provisioningFailed({ attempt: 1 });
      given(...approved())
        .when(grantFailed({ attempt: 1 }))
        .then([firstFailure]);
      const state = given(...approved(), firstFailure)
        .when(grantFailed({ attempt: 2, final: true, reason: 'role does not exist' }))
        .then([expected.provisioningFailed({ attempt: 2, final: true, reason: 'role does not exist' })]);
      if (state.status === 'empty') throw new Error('no request');
      expect(state.items[0]).toMatchObject({ status: 'failed', reason: 'role does not exist', grant: { attempts: 2 } });
      expect(state.status).toBe('closed');
    });

    it('records a redelivered failure once', () => {
      const events = history(submit({ items: [item('db', automaticPolicy())] }), grantFailed({ attempt: 1 }));
      given(...events)
        .when(grantFailed({ attempt: 1 }))
        .thenNothing();
    });

    it('ignores a late success for a failed item', () => {
      const events = history(submit({ items: [item('db', automaticPolicy())] }), grantFailed({ final: true }));
      given(...events)
        .when(grantSucceeded())
        .thenNothing();
    });
  });
});

describe('revoking a grant', () => {
  const revocation = expected.revocationRequested({ reason: 'revoked_by_admin', requestedBy: 'u-admin' });
  const revoking = () => [...active(), revocation];

  it('asks the connector to revoke the grant', () => {
    given(...active())
      .when(revoke())
      .then([revocation]);
  });

  describe('when the connector confirms the revocation', () => {
    it('records it, verified, and ends the item', () => {
      const state = given(...revoking())
        .when(revokeSucceeded())
        .then([expected.accessRevoked({ reason: 'revoked_by_admin', verified: true })]);
      if (state.status === 'empty') throw new Error('no request');
      expect(state.items[0]?.status).toBe('revoked');
    });

    it('never records "verified" for a role kept because another live grant of the same role still needs it', () => {
      const retained = revokeSucceeded();
      const command = { ...retained, data: { ...retained.data, verified: true, retainedBy: ['other-request:i1:1'] } } as typeof retained;
      given(...revoking())
        .when(command)
        .then([expected.accessRevoked({ reason: 'revoked_by_admin', verified: false, retainedBy: ['other-request:i1:1'] })]);
    });

    it('records who carried out a manual revocation and what they wrote, as their word (not verified)', () => {
      const manual = revokeSucceeded();
      const command = {
        ...manual,
        data: { ...manual.data, verified: false, fulfilledBy: 'bob', comment: 'removed from the console' },
      } as typeof manual;
      given(...revoking())
        .when(command)
        .then([
          expected.accessRevoked({
            reason: 'revoked_by_admin',
            verified: false,
            fulfilledBy: 'bob',
            comment: 'removed from the console',
          }),
        ]);
    });

    it('ignores a redelivered confirmation', () => {
      const revoked = expected.accessRevoked({ reason: 'revoked_by_admin' });
      given(...revoking())
        .when(revokeSucceeded())
        .then([revoked]);
      given(...revoking(), revoked)
        .when(revokeSucceeded())
        .thenNothing();
    });
  });

  describe('when a revocation attempt fails', () => {
    it('keeps the item revoking and the final failure visible', () => {
      const state = given(...revoking())
        .when(revokeFailed({ attempt: 3, final: true }))
        .then([expected.revocationFailed({ attempt: 3, final: true })]);
      if (state.status === 'empty') throw new Error('no request');
      expect(state.items[0]).toMatchObject({
        status: 'revoking',
        revocation: { failures: [{ attempt: 3, final: true }] },
      });
    });
  });

  describe('when the access expires', () => {
    it('ends the item as expired once the revocation is confirmed', () => {
      const expiring = [
        expected.accessExpired({ expiresAt: at('PT2H1M') }),
        expected.revocationRequested({ reason: 'expired', requestedAt: at('PT2H1M') }),
      ];
      given(...active())
        .when(timer('access_expiry', at('PT2H1M'), { grantId: grantId() }))
        .then(expiring);
      const state = given(...active(), ...expiring)
        .when(revokeSucceeded())
        .then([expected.accessRevoked({ reason: 'expired' })]);
      if (state.status === 'empty') throw new Error('no request');
      expect(state.items[0]).toMatchObject({ status: 'expired', expiredBy: 'access_expired' });
    });
  });

  describe('when a revocation result arrives for an item that is not being revoked', () => {
    it('is dropped', () => {
      given(...active())
        .when(revokeSucceeded())
        .thenNothing();
      given(...active())
        .when(revokeFailed())
        .thenNothing();
    });
  });
});
