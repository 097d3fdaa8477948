import type { Subject } from '@kairos/contracts';
import type { JobAction, TargetState } from '../domain/job';

/**
 * What to grant, revoke or verify: one identity's role in one target, with what the access is and
 * why it exists (carried to webhooks and tickets so the other side can check it).
 */
export interface GrantSpec {
  readonly action: JobAction;
  readonly requestId: string;
  readonly itemId: string;
  readonly grantId: string;
  readonly subject: Subject;
  readonly target: string;
  readonly resourceId: string;
  /** The catalogue role. */
  readonly role: string;
  /** The role held in the target (for postgres the target role itself). */
  readonly accessRole: string;
  readonly duration?: string;
  readonly expiresAt?: string;
  readonly breakGlass?: boolean;
  /** The requester's reason for the access (the request's justification), when recorded. */
  readonly justification?: string;
  readonly ticket?: string;
  readonly revocationReason?: string;
  readonly revocationRequestedBy?: string;
}

export type ConnectorHealth = { readonly healthy: true } | { readonly healthy: false; readonly reason: string };

/** An automated connector. Every call may throw; the worker verifies the target after each call. */
export interface Connector {
  readonly name: 'postgres' | 'webhook';
  /** Whether configuration names a target for it (only configured connectors gate readiness). */
  readonly configured: boolean;
  /** Returns what the target answered, when it says anything worth recording. */
  grant(spec: GrantSpec): Promise<string | void>;
  revoke(spec: GrantSpec): Promise<string | void>;
  /** The state of exactly this access: the identity holding `accessRole` in `target`. */
  verify(spec: GrantSpec): Promise<TargetState>;
  health(): Promise<ConnectorHealth>;
  close(): Promise<void>;
}

export class ConnectorNotConfiguredError extends Error {
  constructor(connector: string, what: string) {
    super(`the ${connector} connector is not configured: ${what}`);
    this.name = 'ConnectorNotConfiguredError';
  }
}

/**
 * The connector will never do this (a privileged role, an unsafe name): the job fails for good at
 * once instead of retrying, and nothing is claimed about the target.
 */
export class GrantRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GrantRefusedError';
  }
}
