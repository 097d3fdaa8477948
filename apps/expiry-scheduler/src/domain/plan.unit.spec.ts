import { requestEvents } from '@kairos/access-request-domain/testing';
import { HOUR, MINUTE, plus } from '../testing/clock';
import { CHANGES_TIMERS, planTimers, TIMER_EVENT_TYPES, type TimerChange } from './plan';
import { firingMessageId, sleepFor, timerFired, scheduled } from './timer';

const T0 = '2026-03-01T09:00:00.000Z';
const R = 'req-1';
const e = requestEvents(R);

const schedules = (changes: readonly TimerChange[]) =>
  changes.filter((c) => c.type === 'schedule').map((c) => (c.type === 'schedule' ? c.timer : undefined));
const cancels = (changes: readonly TimerChange[]) =>
  changes.flatMap((c) => (c.type === 'cancel' ? [{ itemId: c.itemId, kinds: [...c.kinds].sort(), because: c.because }] : []));
const ALL = ['access_expiry', 'approval_expiry', 'break_glass_review', 'pending_ttl'];

describe('which timers a request event starts, moves or stops', () => {
  it('starts a pending time to live per requested item', () => {
    const changes = planTimers(
      e.requested(
        [
          { itemId: 'a', pendingExpiresAt: plus(T0, 24 * HOUR) },
          { itemId: 'b', pendingExpiresAt: plus(T0, 2 * HOUR) },
        ],
        T0,
      ),
    );
    expect(schedules(changes)).toEqual([
      { timerId: `${R}/a/pending_ttl`, requestId: R, itemId: 'a', kind: 'pending_ttl', dueAt: plus(T0, 24 * HOUR) },
      { timerId: `${R}/b/pending_ttl`, requestId: R, itemId: 'b', kind: 'pending_ttl', dueAt: plus(T0, 2 * HOUR) },
    ]);
  });

  it('stops the pending time to live and starts the approval expiry when an item is approved', () => {
    const changes = planTimers(e.approved('a', plus(T0, 7 * 24 * HOUR), T0));
    expect(cancels(changes)).toEqual([{ itemId: 'a', kinds: ['pending_ttl'], because: 'ItemApproved' }]);
    expect(schedules(changes)).toEqual([
      { timerId: `${R}/a/approval_expiry`, requestId: R, itemId: 'a', kind: 'approval_expiry', dueAt: plus(T0, 7 * 24 * HOUR) },
    ]);
  });

  it('starts an access expiry keyed by grant and drops the approval expiry when access is granted', () => {
    const changes = planTimers(e.granted('a', 'g1', plus(T0, HOUR), T0));
    expect(cancels(changes)).toEqual([{ itemId: 'a', kinds: ['approval_expiry'], because: 'AccessGranted' }]);
    expect(schedules(changes)).toEqual([
      { timerId: `${R}/a/access_expiry/g1`, requestId: R, itemId: 'a', grantId: 'g1', kind: 'access_expiry', dueAt: plus(T0, HOUR) },
    ]);
  });

  it('moves the same access expiry timer when access is extended', () => {
    const [granted] = schedules(planTimers(e.granted('a', 'g1', plus(T0, HOUR), T0)));
    const [extended] = schedules(planTimers(e.extended('a', 'g1', plus(T0, HOUR), plus(T0, 3 * HOUR), plus(T0, 30 * MINUTE))));
    expect(extended!.timerId).toBe(granted!.timerId);
    expect(extended!.dueAt).toBe(plus(T0, 3 * HOUR));
  });

  it('starts a break-glass review at the ratification deadline and stops it once ratified or missed', () => {
    expect(schedules(planTimers(e.breakGlassInvoked('a', plus(T0, 4 * HOUR), T0)))).toEqual([
      { timerId: `${R}/a/break_glass_review`, requestId: R, itemId: 'a', kind: 'break_glass_review', dueAt: plus(T0, 4 * HOUR) },
    ]);
    expect(cancels(planTimers(e.breakGlassRatified('a', T0)))).toEqual([
      { itemId: 'a', kinds: ['break_glass_review'], because: 'BreakGlassRatified' },
    ]);
    expect(cancels(planTimers(e.breakGlassMissed('a', 'g1', T0, T0)))).toEqual([
      { itemId: 'a', kinds: ['break_glass_review'], because: 'BreakGlassRatificationMissed' },
    ]);
  });

  it.each([
    ['ItemDenied', e.denied('a', T0)],
    ['ItemCancelled', e.cancelled('a', T0)],
    ['ItemExpired', e.itemExpired('a', T0, T0)],
    ['ApprovalExpired', e.approvalExpired('a', T0, T0)],
    ['AccessExpired', e.accessExpired('a', 'g1', T0, T0)],
    ['RevocationRequested', e.revocationRequested('a', 'g1', 'released', T0)],
    ['AccessRevoked', e.revoked('a', 'g1', T0)],
    ['ProvisioningFailed', e.provisioningFailed('a', 'g1', true, T0)],
  ])('stops every timer of the item on %s', (type, event) => {
    expect(cancels(planTimers(event))).toEqual([{ itemId: 'a', kinds: ALL, because: type }]);
  });

  it('keeps the timers while provisioning is still retrying', () => {
    expect(planTimers(e.provisioningFailed('a', 'g1', false, T0))).toEqual([]);
  });

  it('ignores events that do not change any deadline', () => {
    expect(planTimers(e.grantRequested('a', 'g1', T0))).toEqual([]);
  });
});

describe('a firing', () => {
  const timer = scheduled({ requestId: R, itemId: 'a', kind: 'access_expiry', grantId: 'g1' }, plus(T0, HOUR));

  it('has the same message id however often the same timer fires at the same due time', () => {
    expect(firingMessageId(timer.timerId, timer.dueAt)).toBe(firingMessageId(timer.timerId, plus(T0, HOUR)));
    expect(firingMessageId(timer.timerId, timer.dueAt)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gets a new message id once the timer moved', () => {
    expect(firingMessageId(timer.timerId, plus(T0, 2 * HOUR))).not.toBe(firingMessageId(timer.timerId, timer.dueAt));
  });

  it('carries the grant only for access expiry', () => {
    expect(timerFired(timer, new Date(plus(T0, HOUR))).data).toEqual({
      timerId: timer.timerId,
      requestId: R,
      itemId: 'a',
      grantId: 'g1',
      kind: 'access_expiry',
      dueAt: plus(T0, HOUR),
      firedAt: plus(T0, HOUR),
    });
    const pending = scheduled({ requestId: R, itemId: 'a', kind: 'pending_ttl' }, T0);
    expect(timerFired(pending, new Date(T0)).data).not.toHaveProperty('grantId');
  });
});

describe('how long the firing loop sleeps', () => {
  const now = new Date(T0);
  it('sleeps until the next due timer when it is near', () => {
    expect(sleepFor(new Date(plus(T0, 120)), now, 500)).toBe(120);
  });
  it('never sleeps longer than the bound', () => {
    expect(sleepFor(new Date(plus(T0, HOUR)), now, 500)).toBe(500);
    expect(sleepFor(undefined, now, 500)).toBe(500);
  });
  it('does not sleep when a timer is overdue', () => {
    expect(sleepFor(new Date(plus(T0, -HOUR)), now, 500)).toBe(0);
  });
});

describe('the event types the scheduler consumes (CHANGES_TIMERS)', () => {
  it.each((Object.keys(CHANGES_TIMERS) as (keyof typeof CHANGES_TIMERS)[]).filter((type) => !CHANGES_TIMERS[type]))(
    'passes over %s, and planTimers indeed answers nothing for it',
    (type) => {
      const event = { type, data: { requestId: 'r-1', itemId: 'i-1', final: true, items: [] } } as unknown as Parameters<typeof planTimers>[0];
      expect(planTimers(event)).toEqual([]);
    },
  );

  it('consumes every type planTimers acts on', () => {
    expect(TIMER_EVENT_TYPES).toEqual(expect.arrayContaining(['AccessRequested', 'ItemApproved', 'AccessGranted', 'AccessExtended', 'AccessExpired', 'AccessRevoked', 'BreakGlassInvoked']));
    expect(TIMER_EVENT_TYPES).not.toContain('GrantRequested');
  });
});
