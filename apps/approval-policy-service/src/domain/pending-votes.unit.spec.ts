import { openRound } from '@kairos/access-request-domain';
import { ALICE, BOB, CAROL, RequestScenario } from '@kairos/access-request-domain/testing';
import { afterPendingVotes, type LocalVote } from './pending-votes';
import { applyEvent, itemOf, type Request } from './request-state';

/** Votes accepted here count before request-service records them on the stream (read your writes). */
describe('a request after the votes accepted here', () => {
  const scenario = RequestScenario.create(ALICE, 'orders-db', 'read').requested(0);
  const requested = ((): Request => {
    const result = applyEvent(undefined, scenario.events[0]!);
    if (result.kind !== 'changed') throw new Error('AccessRequested did not start the copy');
    return result.state;
  })();
  const vote = (reviewerId: string, reviewId: string, decision: 'approve' | 'deny' = 'approve'): LocalVote => ({
    itemId: 'item-1',
    round: 'approval:0',
    reviewerId,
    reviewId,
    decision,
    submittedAt: '2025-03-01T09:30:00.000Z',
  });

  it('applies a vote not yet on the stream with the request decider: the manager approved, no review is open', () => {
    const after = afterPendingVotes(requested, [vote(BOB, 'r-1')]);
    expect(itemOf(after, 'item-1')?.status).toBe('approved');
    expect(openRound(itemOf(after, 'item-1')!)).toBeUndefined();
    expect(itemOf(requested, 'item-1')?.status).toBe('awaiting_approval');
  });

  it('skips a vote the decider would refuse (the requester approving themself, someone not asked)', () => {
    const after = afterPendingVotes(requested, [vote(ALICE.id, 'r-self'), vote(CAROL, 'r-carol')]);
    expect(itemOf(after, 'item-1')?.status).toBe('awaiting_approval');
    expect(after).toBe(requested);
  });

  it("applies a manager's deny too: the item is denied by them", () => {
    const item = itemOf(afterPendingVotes(requested, [vote(BOB, 'r-deny', 'deny')]), 'item-1');
    expect(item?.status).toBe('denied');
    expect(item?.status === 'denied' && item.deniedBy).toBe(BOB);
  });
});
