import { commandFromMessage } from './messages';
import { fold, initialState } from './state';
import { toView } from './view';
import {
  at,
  automaticPolicy,
  BOB,
  grantId,
  grantSucceeded,
  history,
  item,
  meta,
  policy,
  review,
  submit,
  REQUEST_ID,
} from './testing';

describe('the request view', () => {
  it('has nothing to show before submission', () => {
    expect(toView(initialState())).toBeUndefined();
  });

  it('shows the least advanced live item as the overall status, with each item and its current step', () => {
    const view = toView(fold(history(submit({ items: [item('db', policy()), item('logs', automaticPolicy())] }))));
    expect(view).toMatchObject({
      requestId: REQUEST_ID,
      status: 'pending_approval',
      counts: { awaiting_approval: 1, approved: 1 },
      items: [
        {
          itemId: 'db',
          status: 'awaiting_approval',
          currentStep: { index: 0, name: 'manager', approvals: 0, required: 1 },
          pendingExpiresAt: at('P1D'),
        },
        { itemId: 'logs', status: 'approved', grantId: grantId('logs'), approval: { via: 'automatic' } },
      ],
    });
  });

  it('shows an active grant with its expiry', () => {
    const view = toView(fold(history(submit(), review(BOB), grantSucceeded({ now: at('PT11M') }))));
    expect(view).toMatchObject({
      status: 'active',
      items: [{ status: 'active', grantedAt: at('PT11M'), expiresAt: at('PT2H11M'), verified: true, reviews: 1 }],
    });
  });

  it('gives the common outcome once every item ended', () => {
    const view = toView(fold(history(submit(), review(BOB, 'deny', { comment: 'no' }))));
    expect(view).toMatchObject({
      status: 'denied',
      items: [{ status: 'denied', terminal: true, outcomeReason: 'no' }],
    });
  });
});

describe('turning internal messages into commands', () => {
  it('maps each message type to the command that records it', () => {
    const m = meta(at('PT1M'));
    const base = { requestId: REQUEST_ID, itemId: 'db', grantId: grantId(), attempt: 1, at: at('PT1M') };
    expect(commandFromMessage({ type: 'GrantSucceeded', data: { ...base, verified: true } }, m).type).toBe(
      'RecordGrantSucceeded',
    );
    expect(
      commandFromMessage({ type: 'RevokeFailed', data: { ...base, reason: 'x', final: true, verified: false } }, m)
        .type,
    ).toBe('RecordRevokeFailed');
    expect(
      commandFromMessage(
        {
          type: 'TimerFired',
          data: { timerId: 't', requestId: REQUEST_ID, itemId: 'db', kind: 'pending_ttl', dueAt: at(), firedAt: at() },
        },
        m,
      ).type,
    ).toBe('RecordTimerFired');
    expect(
      commandFromMessage(
        {
          type: 'ReviewSubmitted',
          data: {
            requestId: REQUEST_ID,
            itemId: 'db',
            reviewId: 'r',
            reviewerId: BOB,
            decision: 'approve',
            submittedAt: at(),
          },
        },
        m,
      ),
    ).toMatchObject({ type: 'RecordReview', metadata: m });
  });
});
