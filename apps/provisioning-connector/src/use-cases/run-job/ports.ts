import type { Clock } from '@kairos/clock';
import type { Connector, IssuedCredentials } from '../../domain/connector';
import type { AttemptOutcome, ConnectorName, Job, JobWithContext, NextJobState, RetryPolicy } from '../../domain/job';
import type { CallReport } from '../../domain/stuck';

/** The job queue's writes for one attempt (adapters/postgres: each state change and its result message in one transaction). */
export interface JobStore {
  /** Other active grants that need exactly this access (same identity, role and target). */
  otherHolders(job: Job): Promise<string[]>;
  /** A revocation that leaves the role to other grants: ends this grant's record, unverified. */
  finishRetained(job: Job, retainedBy: readonly string[], now: Date): Promise<boolean>;
  /** A manual job becomes a ticket (with this id) for people; false when the job is no longer this attempt's. */
  openTicket(job: Job, ticketId: string, now: Date): Promise<boolean>;
  /** Records an attempt's outcome; false when another worker took the job over meanwhile. */
  finishAttempt(job: Job, outcome: AttemptOutcome, next: NextJobState, answer: string | undefined, now: Date): Promise<boolean>;
}

/** Where short-lived credentials wait for their requester (never the job, an event or a log). */
export interface CredentialsSink {
  issued(grant: { grantId: string; requestId: string; subjectId: string }, credentials: IssuedCredentials, now: Date): Promise<void>;
}

/** Told how every grant/revoke call went, to notice a connector whose calls keep timing out. */
export interface CallObserver {
  recordCall(connector: ConnectorName, target: string, report: CallReport, subjectId?: string): void;
}

/** The operator metrics of recorded attempts (failures, retries, revocation lateness). */
export interface JobMetrics {
  attemptRecorded(job: JobWithContext, outcome: AttemptOutcome, next: NextJobState, now: Date): void;
}

export interface JobLog {
  log(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Runs the call to the target system in a client span of its own (adapters/worker). */
export type TraceCall = <T>(job: JobWithContext, call: () => Promise<T>) => Promise<T>;

export interface RunJobPorts {
  readonly jobs: JobStore;
  /** The automated connectors by name; connectors fulfilled by people (manual) have none. */
  readonly connectors: ReadonlyMap<ConnectorName, Connector>;
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  readonly log: JobLog;
  /** The message of anything a connector threw, scrubbed of secrets. */
  readonly describe: (error: unknown) => string;
  readonly traceCall?: TraceCall;
  readonly credentials?: CredentialsSink;
  readonly calls?: CallObserver;
  readonly metrics?: JobMetrics;
  /** Mints ticket ids (default: random UUIDs). */
  readonly newId?: () => string;
}
