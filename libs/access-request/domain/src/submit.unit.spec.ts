import { fold } from './state';
import {
  ADMIN,
  ALICE,
  asAdmin,
  asAlice,
  actor,
  at,
  automaticPolicy,
  BOB,
  breakGlassPolicy,
  CI_BOT,
  expected,
  given,
  grantId,
  item,
  policy,
  REQUEST_ID,
  RATIFIER,
  requestedItem,
  submit,
  T0,
} from './testing';

describe('submitting an access request', () => {
  describe('when the item needs a manager', () => {
    it('records the request with its policy snapshot and waits for approval', () => {
      const state = given()
        .when(submit())
        .then([
          {
            type: 'AccessRequested',
            data: {
              requestId: REQUEST_ID,
              requester: ALICE,
              requestedBy: ALICE.id,
              onBehalf: false,
              justification: 'INC-4711: reconcile orders',
              duration: 'PT2H',
              breakGlass: false,
              items: [{ ...item(), pendingExpiresAt: at('P1D') }],
              requestedAt: T0,
            },
          },
        ]);
      expect(state.status).toBe('open');
      if (state.status === 'open') expect(state.items[0]?.status).toBe('awaiting_approval');
    });
  });

  describe('when the requester groups are given', () => {
    it('records them with the request, as they were at submission', () => {
      given()
        .when(submit({ requesterGroups: ['engineering', 'oncall'] }))
        .then([expected.accessRequested({ requesterGroups: ['engineering', 'oncall'] })]);
    });

    it('records none when they are not given', () => {
      // `then` compares whole events: an extra `requesterGroups` field would fail it.
      given().when(submit()).then([expected.accessRequested()]);
    });
  });

  describe('when the item is approved automatically', () => {
    it('approves it and asks for the grant in the same decision', () => {
      const automatic = item('db', automaticPolicy());
      given()
        .when(submit({ items: [automatic] }))
        .then([
          expected.accessRequested({ items: [requestedItem(automatic)] }),
          {
            type: 'ItemApproved',
            data: {
              requestId: REQUEST_ID,
              itemId: 'db',
              via: 'automatic',
              duration: 'PT2H',
              approvalExpiresAt: at('P7D'),
              approvedAt: T0,
            },
          },
          {
            type: 'GrantRequested',
            data: {
              requestId: REQUEST_ID,
              itemId: 'db',
              grantId: grantId('db'),
              subject: ALICE,
              resourceId: 'res-db',
              role: 'read',
              target: { connector: 'postgres', target: 'orders-db' },
              duration: 'PT2H',
              breakGlass: false,
              requestedAt: T0,
            },
          },
        ]);
    });
  });

  describe('when the item reuses a still-valid approval', () => {
    it('approves it without a human, keeping the earlier approval end', () => {
      const reusesApproval = { requestId: 'earlier', itemId: 'db', approvalExpiresAt: at('P2D'), approvedDuration: 'PT2H' };
      const reusing = item('db', policy({ reusesApproval }));
      given()
        .when(submit({ items: [reusing] }))
        .then([
          expected.accessRequested({ items: [requestedItem(reusing)] }),
          expected.itemApproved({
            via: 'reused_approval',
            approvalExpiresAt: at('P2D'),
            reusedFrom: { requestId: 'earlier', itemId: 'db' },
          }),
          expected.grantRequested(),
        ]);
    });

    it('refuses a reused approval that would lengthen access: the steps are asked again', () => {
      // The approver shortened the earlier request to 30 minutes; asking again for longer is a new decision.
      const reusesApproval = { requestId: 'earlier', itemId: 'db', approvalExpiresAt: at('P2D'), approvedDuration: 'PT30M' };
      const reusing = item('db', policy({ reusesApproval }));
      const state = given()
        .when(submit({ items: [reusing] }))
        .then([expected.accessRequested({ items: [requestedItem(reusing)] })]);
      if (state.status === 'empty') throw new Error('expected a request');
      expect(state.items[0]).toMatchObject({ status: 'awaiting_approval', step: 0 });
    });

    it('records a reuse as reused_approval, never as a fresh automatic approval, even when the snapshot says automatic', () => {
      const reusesApproval = { requestId: 'earlier', itemId: 'db', approvalExpiresAt: at('P2D'), approvedDuration: 'PT8H' };
      const reusing = item('db', automaticPolicy({ reusesApproval }));
      given()
        .when(submit({ items: [reusing] }))
        .then([
          expected.accessRequested({ items: [requestedItem(reusing)] }),
          expected.itemApproved({
            via: 'reused_approval',
            approvalExpiresAt: at('P2D'),
            reusedFrom: { requestId: 'earlier', itemId: 'db' },
          }),
          expected.grantRequested(),
        ]);
    });

    it('ignores a reuse without the approved duration (it cannot show it grants no more than people approved)', () => {
      const reusesApproval = { requestId: 'earlier', itemId: 'db', approvalExpiresAt: at('P2D') };
      const reusing = item('db', policy({ reusesApproval }));
      given()
        .when(submit({ items: [reusing] }))
        .then([expected.accessRequested({ items: [requestedItem(reusing)] })]);
    });

    it('asks for approval again once the earlier approval has expired', () => {
      const reusesApproval = { requestId: 'earlier', itemId: 'db', approvalExpiresAt: T0 };
      const reusing = item('db', policy({ reusesApproval }));
      given()
        .when(submit({ items: [reusing] }))
        .then([expected.accessRequested({ items: [requestedItem(reusing)] })]);
    });
  });

  describe('when several items have different policies', () => {
    it('moves each item on its own', () => {
      const items = [item('db', policy()), item('logs', automaticPolicy())];
      const state = given()
        .when(submit({ items }))
        .then([
          expected.accessRequested({ items: items.map((i) => requestedItem(i)) }),
          expected.itemApproved({ itemId: 'logs' }),
          expected.grantRequested({ itemId: 'logs' }),
        ]);
      if (state.status === 'empty') throw new Error('expected a request');
      expect(state.items.map((i) => [i.itemId, i.status])).toEqual([
        ['db', 'awaiting_approval'],
        ['logs', 'approved'],
      ]);
    });

    it('refuses two items with the same id', () => {
      given()
        .when(submit({ items: [item('db'), item('db')] }))
        .thenThrows('ACCESS_REQUEST.INVALID_REQUEST');
    });

    it('refuses a request without items', () => {
      given()
        .when(submit({ items: [] }))
        .thenThrows('ACCESS_REQUEST.INVALID_REQUEST');
    });
  });

  describe('when an admin submits on behalf of someone', () => {
    it('records who submitted it', () => {
      given()
        .when(submit({ requester: CI_BOT }, asAdmin))
        .then([expected.accessRequested({ requester: CI_BOT, requestedBy: ADMIN, onBehalf: true })]);
    });

    it('refuses a non-admin requesting access for a colleague', () => {
      given()
        .when(submit({ requester: CI_BOT }, actor(BOB, 'requester', 'approver')))
        .thenThrows('ACCESS_REQUEST.FORBIDDEN');
    });
  });

  describe('when the request breaks its policy', () => {
    it('refuses a missing justification when the policy requires one', () => {
      given()
        .when(submit({ justification: '   ' }))
        .thenThrows('ACCESS_REQUEST.JUSTIFICATION_REQUIRED');
    });

    it('accepts no justification when no item requires one', () => {
      const automatic = item('db', automaticPolicy());
      given()
        .when(submit({ justification: '', items: [automatic] }))
        .then([
          expected.accessRequested({ justification: '', items: [requestedItem(automatic)] }),
          expected.itemApproved(),
          expected.grantRequested(),
        ]);
    });

    it('refuses a duration over an item maximum', () => {
      const error = given()
        .when(submit({ duration: 'PT9H' }))
        .thenThrows('ACCESS_REQUEST.DURATION_EXCEEDED');
      expect(error.details).toMatchObject({ itemId: 'db', maxDuration: 'PT8H' });
    });

    it('refuses a duration that is not ISO 8601', () => {
      given()
        .when(submit({ duration: '2 hours' }))
        .thenThrows('ACCESS_REQUEST.INVALID_DURATION');
      given()
        .when(submit({ duration: 'PT0S' }))
        .thenThrows('ACCESS_REQUEST.INVALID_DURATION');
    });

    it('refuses break-glass where the policy does not allow it', () => {
      given()
        .when(submit({ breakGlass: true, items: [item('db', breakGlassPolicy()), item('logs', policy())] }))
        .thenThrows('ACCESS_REQUEST.BREAK_GLASS_NOT_ALLOWED');
    });

    it('refuses break-glass without a justification, whatever the policy says', () => {
      given()
        .when(
          submit({
            breakGlass: true,
            justification: '',
            items: [item('db', breakGlassPolicy({ justificationRequired: false }))],
          }),
        )
        .thenThrows('ACCESS_REQUEST.JUSTIFICATION_REQUIRED');
    });
  });

  describe('when the request is break-glass', () => {
    it('grants at once and asks for ratification by the deadline', () => {
      const urgent = item('db', breakGlassPolicy());
      given()
        .when(submit({ breakGlass: true, items: [urgent] }))
        .then([
          expected.accessRequested({ breakGlass: true, items: [requestedItem(urgent)] }),
          {
            type: 'BreakGlassInvoked',
            data: {
              requestId: REQUEST_ID,
              itemId: 'db',
              invokedBy: ALICE.id,
              ratifyBy: at('PT4H'),
              ratifiers: [RATIFIER],
              invokedAt: T0,
            },
          },
          expected.itemApproved({ via: 'break_glass' }),
          expected.grantRequested({ breakGlass: true }),
        ]);
    });
  });

  describe('when the request already exists', () => {
    it('refuses to submit it twice', () => {
      given(expected.accessRequested())
        .when(submit())
        .thenThrows('ACCESS_REQUEST.ALREADY_EXISTS');
    });
  });

  describe('when a command targets a request that does not exist', () => {
    it('says so', () => {
      expect(fold([]).status).toBe('empty');
      given()
        .when({ type: 'ReleaseAccess', data: { itemId: 'db' }, metadata: { now: T0, actor: asAlice } })
        .thenThrows('ACCESS_REQUEST.NOT_FOUND');
    });
  });
});
