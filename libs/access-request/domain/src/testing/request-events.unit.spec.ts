import { fold } from '../state';
import { atHour, RequestScenario, requestEvents } from './request-events';

const alice = { id: 'u-alice', kind: 'person' as const };

describe('the shared builder of request events', () => {
  it('tells a reviewed request as the decider records it, hour by hour', () => {
    const s = RequestScenario.create(alice, 'db-prod', 'read').requested(0).reviewed(0.5, 'u-bob', 'approve').granted(1).expired(5);
    expect(s.events.map((e) => e.type)).toEqual([
      'AccessRequested',
      'ReviewRecorded',
      'ApprovalStepPassed',
      'ItemApproved',
      'GrantRequested',
      'AccessGranted',
      'AccessExpired',
      'RevocationRequested',
      'AccessRevoked',
    ]);
    expect(s.events[5]?.data).toMatchObject({ grantId: s.grantId, grantedAt: atHour(1), expiresAt: atHour(5) });
    const state = fold(s.events);
    if (state.status === 'empty') throw new Error('no request');
    expect(state.items[0]).toMatchObject({ status: 'expired', expiredBy: 'access_expired' });
  });

  it('refuses a story the decider would not tell (a review by someone who is not an approver)', () => {
    expect(() => RequestScenario.create(alice, 'db-prod', 'read').requested(0).reviewed(0.5, 'u-mallory', 'approve')).toThrow();
  });

  it('refuses a step that changes nothing (an expiry timer before the expiry)', () => {
    const s = RequestScenario.create(alice, 'db-prod', 'read').requested(0, { automatic: true }).granted(0);
    expect(() => s.expired(2)).toThrow(/changed nothing/);
  });

  it("keeps a legacy producer's groups on the requester only where asked", () => {
    const legacy = RequestScenario.create({ ...alice, groups: ['sre'] }, 'db-prod', 'read').requested(0, { automatic: true });
    expect(legacy.events[0]?.data).toMatchObject({ requester: { ...alice, groups: ['sre'] } });
    expect(legacy.events[2]?.data).toMatchObject({ subject: alice });
    expect(legacy.events[2]?.data).not.toHaveProperty('subject.groups');
  });

  it('builds single events for the ids and instants a test gives, checked against their contract', () => {
    const e = requestEvents('req-1');
    expect(e.granted('a', 'g1', atHour(2), atHour(1))).toEqual({
      type: 'AccessGranted',
      data: {
        requestId: 'req-1',
        itemId: 'a',
        grantId: 'g1',
        subject: alice,
        resourceId: 'res-a',
        role: 'read',
        breakGlass: false,
        verified: true,
        grantedAt: atHour(1),
        expiresAt: atHour(2),
      },
    });
    expect(() => e.granted('a', 'g1', 'not an instant', atHour(1))).toThrow(/breaks its contract/);
  });
});
