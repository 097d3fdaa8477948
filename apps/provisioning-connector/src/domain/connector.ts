import type { ConnectorName, Subject } from '@kairos/contracts';
import type { Config, ConfigSpec } from '@kairos/config';
import type { Clock } from '@kairos/clock';
import type { JobAction, TargetState } from './job';

// The ports of the target systems: what the use cases ask of a connector, and what a connector
// plug-in (adapters/connectors/<name>/) is. The plug-ins implement them; the use cases never import one.

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

/**
 * Short-lived credentials a grant created (postgres `mode=credentials`). They travel from the
 * connector to the credentials store only: never into an event, a log, Kafka or a job's answer.
 */
export interface IssuedCredentials {
  readonly login: string;
  readonly password: string;
  /** When the target itself stops accepting them (`VALID UNTIL`). */
  readonly validUntil: string;
  /** Where to use them, without any secret (host, port, database). */
  readonly connection?: Readonly<Record<string, string | number>>;
}

/** What a grant call answered: text worth recording, and credentials to hand to the requester once. */
export type GrantAnswer = string | void | { readonly answer?: string; readonly credentials?: IssuedCredentials };

/** An automated connector. Every call may throw; the worker verifies the target after each call. */
export interface Connector {
  readonly name: ConnectorName;
  /** Whether configuration names a target for it (only configured connectors gate readiness). */
  readonly configured: boolean;
  /** Returns what the target answered, when it says anything worth recording. */
  grant(spec: GrantSpec): Promise<GrantAnswer>;
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

/** What every plug-in may use besides its own settings. */
export interface PluginContext {
  readonly clock: Clock;
}

/** Addresses the launcher (`npm start`) has for a connector's demo settings. */
export interface LauncherUrls {
  readonly targetDatabase: string;
}

/**
 * One connector, as a plug-in: its folder in adapters/connectors/<name>/ exports one of these, and
 * adapters/connectors/index.ts lists it (ADR 0017, 0020). Everything else — the provisioning module, the
 * service's configuration (hence the generated configuration table), the connector health listing
 * and the launcher — is derived from that list.
 */
export interface ConnectorPlugin<S extends ConfigSpec = ConfigSpec> {
  readonly name: ConnectorName;
  /** One paragraph for the generated docs. */
  readonly description: string;
  /** What a catalogue `target` means for this connector (docs). */
  readonly targetSyntax: string;
  /** Its settings (environment variables), validated at boot with everything else. */
  readonly settings: S;
  /** Cross-setting checks once all settings are read; returns the problems, never echoing a secret. */
  checkSettings?(config: Config<S>): string[];
  /** A catalogue target this connector can never act on (an unsafe name…): refused for good. */
  targetProblem(target: string): string | undefined;
  /** The role the identity holds in the target because of a grant: what is reference-counted. */
  accessRole(access: { readonly target: string; readonly role: string; readonly grantId: string }): string;
  /** Settings the launcher gives the service for the demo. */
  launcherEnv?(urls: LauncherUrls): Record<string, string>;
  /** The automated connector; absent for connectors fulfilled by people (manual). */
  create?(config: Config<S>, context: PluginContext): Connector;
}

/** Keeps the settings' literal type so the service's Config stays typed. */
export const definePlugin = <S extends ConfigSpec>(plugin: ConnectorPlugin<S>): ConnectorPlugin<S> => plugin;
