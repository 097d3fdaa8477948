import { canReview } from './review-rules';
import type { RecordReviewEscalation } from './escalation';
import { fold } from './state';
import { ALICE, at, BOB, CAROL, DAVE, ERIN, meta, REQUEST_ID, review, submit, twoStepPolicy, item } from './testing/fixtures';
import { expected } from './testing/events';
import { given, history } from './testing/specification';

const escalate = (
  approvers: string[],
  o: { step?: number; reason?: 'unanswered' | 'delegation'; delegatedBy?: string; until?: string; now?: string; id?: string } = {},
): RecordReviewEscalation => ({
  type: 'RecordReviewEscalation',
  data: {
    requestId: REQUEST_ID,
    itemId: 'db',
    escalationId: o.id ?? 'esc-1',
    step: o.step ?? 0,
    reason: o.reason ?? 'unanswered',
    approvers,
    ...(o.delegatedBy !== undefined ? { delegatedBy: o.delegatedBy } : {}),
    ...(o.until !== undefined ? { until: o.until } : {}),
    requestedAt: o.now ?? at('PT2H'),
  },
  metadata: meta(o.now ?? at('PT2H')),
});

const attempt = (reviewerId: string, now = at('PT3H')) => ({ reviewerId, itemId: 'db', decision: 'approve' as const, now });
const requestOf = (state: ReturnType<typeof fold>) => {
  if (state.status === 'empty') throw new Error('no request');
  return state;
};

describe('review escalation and delegation', () => {
  it('adds the fallback approvers to the current step, so canReview accepts them from then on', () => {
    const submitted = history(submit());
    expect(canReview(requestOf(fold(submitted)), attempt(CAROL)).ok).toBe(false);
    const state = given(...submitted)
      .when(escalate([CAROL, DAVE]))
      .then([
        {
          type: 'ReviewEscalated',
          data: {
            requestId: REQUEST_ID,
            itemId: 'db',
            escalationId: 'esc-1',
            step: 0,
            reason: 'unanswered',
            approvers: [CAROL, DAVE],
            escalatedAt: at('PT2H'),
          },
        },
      ]);
    expect(canReview(requestOf(state), attempt(CAROL)).ok).toBe(true);
    // The original approver keeps their say.
    expect(canReview(requestOf(state), attempt(BOB)).ok).toBe(true);
  });

  it('refuses to make the requester an approver of their own request through an escalation', () => {
    given(...history(submit()))
      .when(escalate([ALICE.id]))
      .thenNothing();
    const state = given(...history(submit()))
      .when(escalate([ALICE.id, CAROL]))
      .then([expected.reviewEscalated({ escalationId: 'esc-1', approvers: [CAROL], escalatedAt: at('PT2H') })]);
    expect(canReview(requestOf(state), attempt(ALICE.id))).toMatchObject({ ok: false, code: 'SELF_REVIEW' });
  });

  it('records nothing when the step was already passed or the item decided (a late escalation)', () => {
    given(...history(submit(), review(BOB)))
      .when(escalate([CAROL]))
      .thenNothing();
    const twoSteps = history(submit({ items: [item('db', twoStepPolicy())] }), review(BOB));
    // Step 0 passed: an escalation of step 0 is late; one of step 1 applies.
    given(...twoSteps)
      .when(escalate([ERIN], { step: 0 }))
      .thenNothing();
  });

  it('records nothing twice: a redelivered escalation adds nobody new', () => {
    const first = history(submit(), escalate([CAROL]));
    given(...first)
      .when(escalate([CAROL]))
      .thenNothing();
  });

  it('records nothing after the approval window closed', () => {
    given(...history(submit()))
      .when(escalate([CAROL], { now: at('P2D') }))
      .thenNothing();
  });

  it('refuses a delegation by someone who may not review the step', () => {
    given(...history(submit()))
      .when(escalate([ERIN], { reason: 'delegation', delegatedBy: CAROL, until: at('P1D') }))
      .thenThrows('ACCESS_REQUEST.NOT_ELIGIBLE');
  });

  it('records a delegation with who delegated and until when; separation of duties still holds', () => {
    const state = given(...history(submit()))
      .when(escalate([ERIN], { reason: 'delegation', delegatedBy: BOB, until: at('P1D'), id: 'del-1' }))
      .then([
        {
          type: 'ReviewEscalated',
          data: {
            requestId: REQUEST_ID,
            itemId: 'db',
            escalationId: 'del-1',
            step: 0,
            reason: 'delegation',
            approvers: [ERIN],
            delegatedBy: BOB,
            until: at('P1D'),
            escalatedAt: at('PT2H'),
          },
        },
      ]);
    expect(canReview(requestOf(state), attempt(ERIN)).ok).toBe(true);
  });

  it('refuses an escalation without approvers or with an impossible step', () => {
    given(...history(submit()))
      .when(escalate([]))
      .thenThrows('ACCESS_REQUEST.INVALID_REQUEST');
    given(...history(submit()))
      .when(escalate([CAROL], { step: -1 }))
      .thenThrows('ACCESS_REQUEST.INVALID_REQUEST');
  });
});
