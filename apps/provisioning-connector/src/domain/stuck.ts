/**
 * When a connector is stuck: its calls to one target keep timing out (a role locked in the target
 * database, a webhook that never answers). A cheap probe (`SELECT 1`) can still pass while every
 * real call hangs, so the worker reports each call and the health monitor keeps this record.
 */

/** Consecutive timed-out calls to one target after which the connector is reported stuck. */
export const STUCK_AFTER_TIMEOUTS = 2;

export interface TargetCalls {
  readonly consecutiveTimeouts: number;
  readonly lastTimeout?: { readonly reason: string; readonly at: Date };
}

export type CallReport =
  | { readonly kind: 'answered' }
  | { readonly kind: 'timed_out'; readonly reason: string; readonly at: Date };

/** A call that got any answer (a success or a refusal) shows the target is not stuck. */
export function afterCall(before: TargetCalls | undefined, call: CallReport): TargetCalls {
  if (call.kind === 'answered') return { consecutiveTimeouts: 0 };
  return { consecutiveTimeouts: (before?.consecutiveTimeouts ?? 0) + 1, lastTimeout: { reason: call.reason, at: call.at } };
}

/**
 * Why the connector is stuck on this target, if it is: enough timeouts in a row, the last one
 * recent (a target nobody has called for `windowMs` is no longer reported; the next call decides).
 */
export function stuckReason(target: string, calls: TargetCalls | undefined, now: Date, windowMs: number): string | undefined {
  if (!calls?.lastTimeout || calls.consecutiveTimeouts < STUCK_AFTER_TIMEOUTS) return undefined;
  if (now.getTime() - calls.lastTimeout.at.getTime() > windowMs) return undefined;
  return `stuck: ${calls.consecutiveTimeouts} calls in a row to target ${target} timed out (last: ${calls.lastTimeout.reason})`;
}

const TIMEOUT_CODES = new Set([
  '57014', // query_canceled: statement_timeout
  '55P03', // lock_not_available: lock_timeout
]);

/** Whether a connector call failed because the target did not answer in time. */
export function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return true;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  return /timed? ?out|timeout/i.test(error.message);
}
