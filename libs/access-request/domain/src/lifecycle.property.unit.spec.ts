import fc from 'fast-check';
import type { AccessRequestEvent, ItemPolicySnapshot } from '@kairos/contracts';
import type { AccessRequestCommand } from './commands';
import { decide } from './decide';
import { addDuration, compareInstants } from './duration';
import { AccessRequestError } from './errors';
import { evolve, fold, initialState, isTerminal, type AccessRequestState, type ItemState } from './state';
import {
  ALICE,
  asAdmin,
  asAlice,
  assertEventsMatchSchemas,
  automaticPolicy,
  BOB,
  breakGlassPolicy,
  CAROL,
  DAVE,
  ERIN,
  meta,
  policy,
  RATIFIER,
  REQUEST_ID,
  T0,
  twoStepPolicy,
} from './testing';

const POLICIES: Record<string, ItemPolicySnapshot> = {
  automatic: automaticPolicy({ breakGlass: { allowed: true, ratifyWithin: 'PT1H', ratifiers: [RATIFIER] } }),
  manager: policy({ approvalValidity: 'PT20M', maxDuration: 'PT12H' }),
  twoStep: twoStepPolicy({
    extensionRequiresApproval: true,
    steps: [
      { name: 'manager', mode: 'manager', approvers: [BOB], required: 1 },
      { name: 'db-admins', mode: 'group', approvers: [CAROL, DAVE], required: 1 },
    ],
  }),
  breakGlass: breakGlassPolicy({ pendingTtl: 'PT6H' }),
};
const REVIEWERS = [BOB, BOB, CAROL, DAVE, ERIN, RATIFIER, ALICE.id];
// A fixed seed keeps CI reproducible and the coverage check below stable; FC_SEED explores other runs.
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20250301;
const TIMERS = ['access_expiry', 'approval_expiry', 'pending_ttl', 'break_glass_review'] as const;

type Action =
  | { kind: 'review'; item: number; reviewer: number; approve: boolean; shorten: boolean }
  | { kind: 'started' | 'granted' | 'revoked'; item: number; stale: boolean }
  | { kind: 'grantFailed' | 'revokeFailed'; item: number; attempt: number; final: boolean }
  | { kind: 'timer'; item: number; timer: number }
  | { kind: 'cancel' | 'release' | 'revoke'; item: number; admin: boolean }
  | { kind: 'extend'; item: number; hours: number }
  | { kind: 'redeliver'; index: number };

const itemIdx = fc.nat(2);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('review' as const),
    item: itemIdx,
    reviewer: fc.nat(REVIEWERS.length - 1),
    approve: fc.boolean(),
    shorten: fc.boolean(),
  }),
  fc.record({
    kind: fc.constantFrom('started' as const, 'granted' as const, 'revoked' as const),
    item: itemIdx,
    stale: fc.boolean(),
  }),
  fc.record({
    kind: fc.constantFrom('grantFailed' as const, 'revokeFailed' as const),
    item: itemIdx,
    attempt: fc.integer({ min: 1, max: 3 }),
    final: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('timer' as const), item: itemIdx, timer: fc.nat(TIMERS.length - 1) }),
  fc.record({
    kind: fc.constantFrom('cancel' as const, 'release' as const, 'revoke' as const),
    item: itemIdx,
    admin: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('extend' as const), item: itemIdx, hours: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('redeliver' as const), index: fc.nat(40) }),
);

const scenarioArb = fc.record({
  policies: fc.array(fc.constantFrom(...Object.keys(POLICIES)), { minLength: 1, maxLength: 3 }),
  breakGlass: fc.boolean(),
  durationHours: fc.integer({ min: 1, max: 8 }),
  steps: fc.array(fc.tuple(actionArb, fc.integer({ min: 0, max: 90 })), { maxLength: 40, size: 'max' }),
});

const itemsOf = (state: AccessRequestState): readonly ItemState[] => (state.status === 'empty' ? [] : state.items);
const grantIdOf = (item: ItemState | undefined): string | undefined =>
  item && 'grant' in item && item.grant ? item.grant.grantId : undefined;

const toCommand = (
  action: Action,
  state: AccessRequestState,
  now: string,
  past: AccessRequestCommand[],
): AccessRequestCommand | undefined => {
  if (action.kind === 'redeliver') return past.length ? past[action.index % past.length] : undefined;
  const items = itemsOf(state);
  const item = items[action.item % Math.max(items.length, 1)];
  if (!item) return undefined;
  const base = { requestId: REQUEST_ID, itemId: item.itemId };
  const grantId = grantIdOf(item) ?? `${REQUEST_ID}:${item.itemId}:1`;
  switch (action.kind) {
    case 'review':
      return {
        type: 'RecordReview',
        data: {
          ...base,
          reviewId: `rv-${past.length}`,
          reviewerId: REVIEWERS[action.reviewer] as string,
          decision: action.approve ? 'approve' : 'deny',
          ...(action.shorten ? { shortenDurationTo: 'PT45M' } : {}),
          submittedAt: now,
        },
        metadata: meta(now),
      };
    case 'started':
    case 'granted':
    case 'revoked': {
      const data = { ...base, grantId: action.stale ? 'stale-grant' : grantId, attempt: 1, at: now };
      if (action.kind === 'started') return { type: 'RecordProvisioningStarted', data, metadata: meta(now) };
      if (action.kind === 'granted')
        return { type: 'RecordGrantSucceeded', data: { ...data, verified: true }, metadata: meta(now) };
      return { type: 'RecordRevokeSucceeded', data: { ...data, verified: true }, metadata: meta(now) };
    }
    case 'grantFailed':
    case 'revokeFailed': {
      const data = {
        ...base,
        grantId,
        attempt: action.attempt,
        at: now,
        reason: 'boom',
        final: action.final,
        verified: false,
      };
      return action.kind === 'grantFailed'
        ? { type: 'RecordGrantFailed', data, metadata: meta(now) }
        : { type: 'RecordRevokeFailed', data, metadata: meta(now) };
    }
    case 'timer':
      return {
        type: 'RecordTimerFired',
        data: {
          ...base,
          timerId: `t-${past.length}`,
          grantId,
          kind: TIMERS[action.timer] as (typeof TIMERS)[number],
          dueAt: now,
          firedAt: now,
        },
        metadata: meta(now),
      };
    case 'cancel':
      return {
        type: 'CancelAccessRequest',
        data: { itemIds: [item.itemId] },
        metadata: meta(now, action.admin ? asAdmin : asAlice),
      };
    case 'release':
      return {
        type: 'ReleaseAccess',
        data: { itemId: item.itemId },
        metadata: meta(now, action.admin ? asAdmin : asAlice),
      };
    case 'revoke':
      return {
        type: 'RevokeAccess',
        data: { itemId: item.itemId },
        metadata: meta(now, action.admin ? asAdmin : asAlice),
      };
    case 'extend':
      return {
        type: 'ExtendAccess',
        data: { itemId: item.itemId, extensionId: `ext-${past.length}`, by: `PT${action.hours}H` },
        metadata: meta(now, asAlice),
      };
    default:
      return undefined;
  }
};

/** What the other services would eventually deliver for an item, at a time far enough ahead. */
const settle = (item: ItemState, now: string): AccessRequestCommand[] => {
  const base = { requestId: REQUEST_ID, itemId: item.itemId };
  const timer = (kind: (typeof TIMERS)[number], grantId?: string): AccessRequestCommand => ({
    type: 'RecordTimerFired',
    data: { ...base, timerId: `settle-${kind}`, ...(grantId ? { grantId } : {}), kind, dueAt: now, firedAt: now },
    metadata: meta(now),
  });
  switch (item.status) {
    case 'awaiting_approval':
      return [timer('pending_ttl')];
    case 'approved':
    case 'provisioning':
      return item.grant
        ? [
            {
              type: 'RecordGrantSucceeded',
              data: { ...base, grantId: item.grant.grantId, attempt: 9, at: now, verified: true },
              metadata: meta(now),
            },
          ]
        : [timer('approval_expiry')];
    case 'active':
      return [timer('break_glass_review'), timer('access_expiry', item.grant.grantId)];
    case 'revoking':
      return [
        {
          type: 'RecordRevokeSucceeded',
          data: { ...base, grantId: item.grant.grantId, attempt: 9, at: now, verified: true },
          metadata: meta(now),
        },
      ];
    default:
      return [];
  }
};

class Run {
  state: AccessRequestState = initialState();
  readonly events: AccessRequestEvent[] = [];
  readonly terminalOf = new Map<string, string>();

  apply(command: AccessRequestCommand): void {
    let emitted: AccessRequestEvent[];
    try {
      emitted = decide(command, this.state);
    } catch (error) {
      if (error instanceof AccessRequestError) return;
      throw error;
    }
    assertEventsMatchSchemas(emitted);
    for (const event of emitted) this.check(event, command.metadata.now);
    this.state = emitted.reduce(evolve, this.state);
    this.events.push(...emitted);
    for (const item of itemsOf(this.state)) {
      const previous = this.terminalOf.get(item.itemId);
      // Exactly one terminal state: once ended, an item never changes status again.
      if (previous !== undefined) expect(item.status).toBe(previous);
      if (isTerminal(item)) this.terminalOf.set(item.itemId, item.status);
      if (item.status === 'active') {
        // Never active beyond what the policy allows.
        expect(
          compareInstants(item.grant.expiresAt, addDuration(item.grant.grantedAt, item.policy.maxDuration)),
        ).toBeLessThanOrEqual(0);
      }
    }
  }

  private check(event: AccessRequestEvent, now: string): void {
    if (event.type === 'AccessGranted') {
      // Never active without approval, and never granted twice.
      expect(this.events.some((e) => e.type === 'ItemApproved' && e.data.itemId === event.data.itemId)).toBe(true);
      expect(this.events.some((e) => e.type === 'AccessGranted' && e.data.grantId === event.data.grantId)).toBe(false);
      expect(compareInstants(event.data.expiresAt, now)).toBeGreaterThan(0);
    }
    if (event.type === 'AccessExtended') {
      // Never extends an access whose time is already up.
      expect(compareInstants(event.data.previousExpiresAt, now)).toBeGreaterThan(0);
      expect(compareInstants(event.data.expiresAt, event.data.previousExpiresAt)).toBeGreaterThan(0);
    }
  }
}

describe('the access request lifecycle, for any sequence of commands and messages', () => {
  const seen = new Set<string>();

  it('keeps its invariants, and every item ends exactly once when timers and results are delivered', () => {
    fc.assert(
      fc.property(scenarioArb, ({ policies, breakGlass, durationHours, steps }) => {
        const run = new Run();
        const items = policies.map((name, i) => ({
          itemId: `item-${i}`,
          resourceId: `res-${name}`,
          role: 'read',
          policy: POLICIES[name] as ItemPolicySnapshot,
        }));
        const allowBreakGlass = breakGlass && policies.every((name) => name === 'breakGlass' || name === 'automatic');
        run.apply({
          type: 'SubmitAccessRequest',
          data: {
            requestId: REQUEST_ID,
            requester: ALICE,
            items,
            justification: 'because',
            duration: `PT${durationHours}H`,
            breakGlass: allowBreakGlass,
          },
          metadata: meta(T0, asAlice),
        });
        expect(run.state.status).not.toBe('empty');

        let now = T0;
        const past: AccessRequestCommand[] = [];
        for (const [action, minutes] of steps) {
          now = addDuration(now, `PT${minutes}M`);
          const command = toCommand(action, run.state, now, past);
          if (!command) continue;
          past.push(command);
          run.apply(command);
        }

        // Deliver everything still owed, far enough ahead that every timer is due.
        for (let round = 0; round < 6 && itemsOf(run.state).some((item) => !isTerminal(item)); round += 1) {
          now = addDuration(now, 'P30D');
          for (const item of itemsOf(run.state)) for (const command of settle(item, now)) run.apply(command);
        }

        for (const item of itemsOf(run.state)) expect(isTerminal(item)).toBe(true);
        expect(run.state.status).toBe('closed');

        // Every grant that was given was taken away again.
        const granted = run.events.filter((e) => e.type === 'AccessGranted').map((e) => e.data.grantId);
        const revoked = run.events.filter((e) => e.type === 'AccessRevoked').map((e) => e.data.grantId);
        for (const grantId of granted) expect(revoked).toContain(grantId);

        // Replaying the stream rebuilds the same state.
        expect(fold(run.events)).toEqual(run.state);
        for (const event of run.events) seen.add(event.type);
      }),
      { numRuns: 600, seed: SEED },
    );
  });

  // Reviewed extensions need a long chain of lucky actions; the unit specs cover them.
  (process.env.FC_SEED ? it.skip : it)(
    'explores every kind of event along the way (the generator is not vacuous)',
    () => {
      const never = [
        'ProvisioningFailed',
        'RevocationFailed',
        'BreakGlassRatified',
        'BreakGlassRatificationMissed',
        'ItemDenied',
        'ItemCancelled',
        'ApprovalStepPassed',
        'AccessExtended',
        'ApprovalExpired',
        'ItemExpired',
        'AccessExpired',
      ].filter((type) => !seen.has(type));
      expect(never).toEqual([]);
    },
  );
});
