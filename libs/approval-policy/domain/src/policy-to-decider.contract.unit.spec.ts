/**
 * Contract: what the real policy engine produces is what the real request decider acts on. No
 * hand-made snapshot here: every snapshot comes out of `evaluate`, goes into `decide`, and the
 * reviews are given by the very people the snapshot names.
 */
import {
  decide,
  fold,
  lendableApproval,
  type AccessRequestCommand,
  type AccessRequestState,
} from '@kairos/access-request-domain';
import type { AccessRequestEvent, ItemPolicySnapshot } from '@kairos/contracts';
import { validateEvent } from '@kairos/contracts';
import { evaluate, type Evaluation } from './evaluate';
import type { Tier } from './model';
import { context, NOW, request, resource } from './testing/fixtures';

const REQUEST = '7d4c2f8e-1b3a-4c5d-9e6f-0a1b2c3d4e5f';
const later = (ms: number) => new Date(Date.parse(NOW) + ms).toISOString();
const MINUTE = 60_000;

function snapshotOf(evaluation: Evaluation): { duration: string; policy: ItemPolicySnapshot } {
  if (!evaluation.ok) throw new Error(`evaluation refused: ${JSON.stringify(evaluation.problems)}`);
  const [item] = evaluation.items;
  if (!item) throw new Error('no item evaluated');
  return item;
}

class Stream {
  readonly events: AccessRequestEvent[] = [];
  constructor(readonly requestId: string) {}
  get state(): AccessRequestState {
    return fold(this.events);
  }
  run(command: AccessRequestCommand): AccessRequestEvent[] {
    const emitted = decide(command, this.state);
    for (const event of emitted) {
      const valid = validateEvent(event.type, event.data, { closed: true });
      if (!valid.ok) throw new Error(`${event.type} breaks its published schema`);
    }
    this.events.push(...emitted);
    return emitted;
  }
  item() {
    const state = this.state;
    if (state.status === 'empty') throw new Error('no request');
    return state.items[0]!;
  }
}

function submit(stream: Stream, requester: string, snapshot: { duration: string; policy: ItemPolicySnapshot }, now = NOW, resourceId = 'db-tier-1') {
  return stream.run({
    type: 'SubmitAccessRequest',
    data: {
      requestId: stream.requestId,
      requester: { id: requester, kind: 'person' },
      items: [{ itemId: 'item-1', resourceId, role: 'read', policy: snapshot.policy }],
      justification: 'INC-42: investigate slow checkout',
      duration: snapshot.duration,
      breakGlass: false,
    },
    metadata: { now, actor: { id: requester, roles: ['requester'] } },
  });
}

function reviewBy(stream: Stream, reviewerId: string, now: string, extra: { shortenDurationTo?: string } = {}) {
  return stream.run({
    type: 'RecordReview',
    data: {
      requestId: stream.requestId,
      itemId: 'item-1',
      reviewId: `rv-${reviewerId}-${now}`,
      reviewerId,
      decision: 'approve',
      ...extra,
      submittedAt: now,
    },
    metadata: { now, actor: { id: 'system', roles: ['system'] } },
  });
}

describe('the policy engine feeding the request decider', () => {
  it.each<Tier>([0, 1, 2, 3, 4])('tier %i: the people the snapshot names, one per step, carry the item to a grant', (tier) => {
    const snapshot = snapshotOf(evaluate(request(`db-tier-${tier}`), context([resource(tier)])));
    const stream = new Stream(REQUEST);
    const submitted = submit(stream, 'alice', snapshot, NOW, `db-tier-${tier}`);
    if (snapshot.policy.steps.length === 0) {
      expect(submitted.map((e) => e.type)).toEqual(['AccessRequested', 'ItemApproved', 'GrantRequested']);
      return;
    }
    expect(submitted.map((e) => e.type)).toEqual(['AccessRequested']);
    const used = new Set<string>();
    let minute = 1;
    for (const step of snapshot.policy.steps) {
      // Separation of duties: each step is given by people who did not give an earlier one.
      const people = step.approvers.filter((id) => !used.has(id)).slice(0, step.required);
      expect(people).toHaveLength(step.required);
      for (const person of people) {
        reviewBy(stream, person, later(minute++ * MINUTE));
        used.add(person);
      }
    }
    expect(stream.item().status).toBe('approved');
    expect(stream.events.map((e) => e.type)).toContain('GrantRequested');
  });

  it('the same person on two steps of the engine\'s snapshot cannot carry both', () => {
    // ann reports to owen, who owns the resource: the engine names owen on both steps of tier 3.
    const ctx = context([resource(3)]);
    const withAnn = {
      ...ctx,
      directory: {
        ...ctx.directory,
        identities: [...ctx.directory.identities, { id: 'ann', kind: 'person' as const, displayName: 'Ann', managerId: 'owen', groups: [], active: true }],
      },
    };
    const snapshot = snapshotOf(evaluate(request('db-tier-3', { requester: 'ann' }), withAnn));
    expect(snapshot.policy.steps.map((s) => s.approvers)).toEqual([['owen'], ['olga', 'owen']]);
    const stream = new Stream(REQUEST);
    submit(stream, 'ann', snapshot, NOW, 'db-tier-3');
    reviewBy(stream, 'owen', later(MINUTE));
    expect(() => reviewBy(stream, 'owen', later(2 * MINUTE))).toThrow(/step 1/);
    reviewBy(stream, 'olga', later(3 * MINUTE));
    expect(stream.item().status).toBe('approved');
  });

  it('an approval lent by the decider and picked by the engine is recorded as reused, with its own end and no longer than approved', () => {
    const first = new Stream(REQUEST);
    const firstSnapshot = snapshotOf(evaluate(request('db-tier-1', { duration: 'PT4H' }), context([resource(1)])));
    submit(first, 'alice', firstSnapshot);
    reviewBy(first, 'mia', later(MINUTE), { shortenDurationTo: 'PT30M' });
    const firstState = first.state;
    if (firstState.status === 'empty') throw new Error('no request');
    const lent = lendableApproval(firstState, 'item-1');
    expect(lent).toMatchObject({ resourceId: 'db-tier-1', role: 'read', identityId: 'alice', approvedDuration: 'PT30M' });

    // Asking again for 7 days is a new decision for people, not a reuse.
    const longer = snapshotOf(evaluate(request('db-tier-1', { duration: 'PT8H', now: later(10 * MINUTE) }), context([resource(1)], { priorApprovals: [lent!] })));
    expect(longer.policy.reusesApproval).toBeUndefined();
    const asked = new Stream('9d4c2f8e-1b3a-4c5d-9e6f-0a1b2c3d4e5f');
    expect(submit(asked, 'alice', longer, later(10 * MINUTE)).map((e) => e.type)).toEqual(['AccessRequested']);

    // Asking again within what was approved reuses it: recorded as reused, ending when the first approval ends.
    const same = snapshotOf(evaluate(request('db-tier-1', { duration: 'PT30M', now: later(10 * MINUTE) }), context([resource(1)], { priorApprovals: [lent!] })));
    const reused = new Stream('8d4c2f8e-1b3a-4c5d-9e6f-0a1b2c3d4e5f');
    const events = submit(reused, 'alice', same, later(10 * MINUTE));
    expect(events.map((e) => e.type)).toEqual(['AccessRequested', 'ItemApproved', 'GrantRequested']);
    expect(events[1]?.data).toMatchObject({ via: 'reused_approval', approvalExpiresAt: lent!.approvalExpiresAt, duration: 'PT30M' });
  });
});
