import type { GrantTarget, Subject } from '@kairos/contracts';

export type JobAction = 'grant' | 'revoke';
export type ConnectorName = GrantTarget['connector'];
export type TargetState = 'present' | 'absent';

/** pending → running → (succeeded | pending again | failed); manual jobs wait for a person. */
export type JobStatus = 'pending' | 'running' | 'awaiting_person' | 'succeeded' | 'failed';

/** What the access is and why it exists: carried by jobs, tickets and webhook calls. */
export interface AccessDetails {
  readonly resourceId: string;
  /** The catalogue role requested (viewer, admin…). */
  readonly role: string;
  /**
   * The role the identity holds in the target because of this grant: what is reference-counted.
   * Each connector's plug-in says what it is (`accessRole` in adapters/connectors/<name>/index.ts): the
   * target role for postgres (a grant's own login in `mode=credentials`), the group DN for ldap,
   * `member` for github, the catalogue role for webhook and manual.
   */
  readonly accessRole: string;
  /** Access duration once granted (ISO 8601), grants only. */
  readonly duration?: string;
  /** When the access ends: for a revocation, the expiry recorded when its grant succeeded. */
  readonly expiresAt?: string;
  /** Why the access ends (RevocationRequested.reason), revocations only. */
  readonly revocationReason?: string;
  /** Who asked for the revocation, when a person did. */
  readonly revocationRequestedBy?: string;
  readonly breakGlass?: boolean;
}

export interface Job extends AccessDetails {
  readonly id: string;
  readonly requestId: string;
  readonly itemId: string;
  readonly grantId: string;
  readonly action: JobAction;
  readonly connector: ConnectorName;
  readonly target: string;
  readonly subject: Subject;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly correlationId?: string;
  /** The trace the job was recorded in (W3C traceparent): its attempts and results continue it. */
  readonly traceparent?: string;
}

/** A job with what the request said about it (for webhook calls and tickets). */
export interface JobWithContext extends Job {
  readonly justification?: string;
  readonly requestTicket?: string;
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

/** Exponential backoff: backoff, 2×, 4×… capped. `attempt` is the attempt that just failed (from 1). */
export function retryDelayMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempt - 1));
}

/** `refused`: the connector will never do this (a privileged or unsafe role): no retry, no verification. */
export type CallResult = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly refused?: boolean };
export type Verification = { readonly ok: true; readonly state: TargetState } | { readonly ok: false; readonly reason: string };

export type AttemptOutcome =
  | { readonly kind: 'succeeded'; readonly verified: true; readonly note?: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly verified: boolean; readonly refused?: boolean };

export const expectedState = (action: JobAction): TargetState => {
  switch (action) {
    case 'grant':
      return 'present';
    case 'revoke':
      return 'absent';
    default: {
      const exhaustive: never = action;
      return exhaustive;
    }
  }
};

/**
 * "Approval does not guarantee provisioning": what the target says after the call decides, not
 * the call's own answer. A call that errored but left the target in the wanted state (a timeout
 * after the change) succeeded; a call that answered fine but left it otherwise failed.
 */
export function judgeAttempt(action: JobAction, call: CallResult, verification: Verification): AttemptOutcome {
  // A refusal is final and claims nothing about the target (a role granted by someone else is not our grant).
  if (!call.ok && call.refused) return { kind: 'failed', verified: false, refused: true, reason: call.reason };
  const wanted = expectedState(action);
  if (verification.ok && verification.state === wanted) {
    return call.ok ? { kind: 'succeeded', verified: true } : { kind: 'succeeded', verified: true, note: call.reason };
  }
  if (verification.ok) {
    const said = call.ok ? 'the call succeeded' : call.reason;
    return { kind: 'failed', verified: true, reason: `${said}; verification found the access ${verification.state}, expected ${wanted}` };
  }
  const said = call.ok ? 'the call succeeded' : call.reason;
  return { kind: 'failed', verified: false, reason: `${said}; verification failed: ${verification.reason}` };
}

export type NextJobState =
  { readonly status: 'succeeded' } | { readonly status: 'pending'; readonly nextAttemptAt: Date } | { readonly status: 'failed' };

export function afterAttempt(attempt: number, outcome: AttemptOutcome, policy: RetryPolicy, now: Date): NextJobState {
  switch (outcome.kind) {
    case 'succeeded':
      return { status: 'succeeded' };
    case 'failed':
      if (attempt >= policy.maxAttempts || outcome.refused) return { status: 'failed' };
      return { status: 'pending', nextAttemptAt: new Date(now.getTime() + retryDelayMs(attempt, policy)) };
    default: {
      const exhaustive: never = outcome;
      return exhaustive;
    }
  }
}
