import type { AccessRequestEvent } from '@kairos/contracts';
import type { AccessRequestCommand } from '../commands';
import { decide } from '../decide';
import { addDuration, compareInstants } from '../duration';
import { isAccessRequestError } from '../errors';
import { openRound } from '../review-rules';
import { fold, type ItemState } from '../state';
import {

  asAdmin,
  automaticPolicy,
  breakGlassPolicy,
  cancel,
  extend,
  grantFailed,
  grantSucceeded,
  item,
  policy,
  provisioningStarted,
  release,
  revoke,
  revokeFailed,
  revokeSucceeded,
  review,
  submit,
  T0,
  timer,
  twoStepPolicy,
} from './fixtures';

/** One transition of an item seen while driving the real decider. */
export interface Transition {
  readonly from: string;
  readonly to: string;
  readonly command: AccessRequestCommand['type'];
}

interface Path {
  readonly events: readonly AccessRequestEvent[];
  readonly now: string;
}

const later = (instant: string, duration = 'PT1M') => addDuration(instant, duration);
const after = (now: string, due: string) => (compareInstants(due, now) >= 0 ? later(due, 'PT1S') : later(now));

/** The commands worth trying on the item as it stands: each carries the clock it runs at. */
function palette(item: ItemState, now: string): AccessRequestCommand[] {
  const next = later(now);
  const commands: AccessRequestCommand[] = [
    cancel(undefined, undefined, next),
    release(undefined, 'db', next),
    revoke(asAdmin, 'db', next),
    provisioningStarted({ now: next }),
    grantSucceeded({ now: next }),
    grantFailed({ now: next }),
    grantFailed({ now: next, final: true, attempt: 6 }),
    revokeSucceeded({ now: next }),
    revokeFailed({ now: next }),
    extend({ by: 'PT30M' }, { now: next }),
    timer('pending_ttl', after(now, item.pendingExpiresAt)),
  ];
  const round = openRound(item);
  if (round) {
    const reviewer = round.kind === 'ratification' ? round.ratifiers[0] : round.snapshot.approvers.find((id) => !item.reviews.some((r) => r.reviewerId === id));
    if (reviewer) commands.push(review(reviewer, 'approve', { now: next }), review(reviewer, 'deny', { now: next }));
  }
  if ('approval' in item && item.approval) commands.push(timer('approval_expiry', after(now, item.approval.approvalExpiresAt)));
  if (item.status === 'active') commands.push(timer('access_expiry', after(now, item.grant.expiresAt)));
  if (item.breakGlass) commands.push(timer('break_glass_review', after(now, item.breakGlass.ratifyBy)));
  return commands;
}

/** What distinguishes two items for the chart's exploration (the chart itself shows statuses only). */
const signature = (item: ItemState) =>
  JSON.stringify([
    item.status,
    'step' in item ? item.step : null,
    item.reviews.length,
    item.breakGlass?.ratifiedBy ?? null,
    'extension' in item && item.extension ? 1 : 0,
    'revocation' in item ? item.revocation.reason : null,
  ]);

/**
 * Drives the real decider from every kind of submission (automatic, one step, two steps,
 * break-glass) through every command the item could take, and records each status change an
 * item makes. The chart is what the decider does, not what someone drew.
 */
export function exploreItemTransitions(maxDepth = 9): Transition[] {
  const starts: AccessRequestCommand[] = [
    submit({ items: [item('db', automaticPolicy())] }),
    submit({ items: [item('db', policy())] }),
    submit({ items: [item('db', twoStepPolicy())] }),
    submit({ items: [item('db', breakGlassPolicy())], breakGlass: true }),
  ];
  const transitions = new Map<string, Transition>();
  const add = (t: Transition) => transitions.set(`${t.from}|${t.to}|${t.command}`, t);
  const seen = new Set<string>();
  let frontier: Path[] = [];
  for (const start of starts) {
    const events = decide(start, fold([]));
    const state = fold(events);
    if (state.status === 'empty') continue;
    add({ from: '[*]', to: state.items[0]!.status, command: start.type });
    frontier.push({ events, now: T0 });
  }
  for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
    const next: Path[] = [];
    for (const path of frontier) {
      const state = fold(path.events);
      if (state.status === 'empty') continue;
      const current = state.items[0]!;
      for (const command of palette(current, path.now)) {
        let emitted: AccessRequestEvent[];
        try {
          emitted = decide(command, state);
        } catch (error) {
          if (isAccessRequestError(error)) continue;
          throw error;
        }
        if (emitted.length === 0) continue;
        const after = fold(emitted, state);
        if (after.status === 'empty') continue;
        const moved = after.items[0]!;
        if (moved.status !== current.status) add({ from: current.status, to: moved.status, command: command.type });
        const key = signature(moved);
        if (seen.has(key)) continue;
        seen.add(key);
        next.push({ events: [...path.events, ...emitted], now: command.metadata.now });
      }
    }
    frontier = next;
  }
  return [...transitions.values()].sort((a, b) => `${a.from}${a.to}${a.command}`.localeCompare(`${b.from}${b.to}${b.command}`));
}

/** The transitions as a Mermaid state diagram (commands merged per edge). */
export function itemStateChart(transitions: readonly Transition[]): string {
  const edges = new Map<string, Set<string>>();
  for (const t of transitions) {
    const key = `${t.from} --> ${t.to}`;
    edges.set(key, (edges.get(key) ?? new Set()).add(t.command));
  }
  const lines = [...edges.entries()].map(([edge, commands]) => `  ${edge}: ${[...commands].sort().join(', ')}`);
  return ['stateDiagram-v2', ...lines].join('\n');
}

