import type { Subject } from '@kairos/contracts';
import type { TargetState } from '../domain/job';

/** What to grant or revoke: one identity's membership of one target (a role, a group...). */
export interface GrantSpec {
  readonly requestId: string;
  readonly itemId: string;
  readonly grantId: string;
  readonly subject: Subject;
  readonly target: string;
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

/** Removes credentials from anything that might carry a connection string (errors, logs). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}
