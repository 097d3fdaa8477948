import { WorkLoop } from '@kairos/messaging';
import { contextFromTraceparent, SpanKind, withSpan } from '@kairos/observability';
import { operatorCounter, revocationLateness } from '@kairos/observability';
import type { Registry } from 'prom-client';
import type { Clock } from '../domain/clock';
import {
  afterAttempt,
  judgeAttempt,
  type AttemptOutcome,
  type CallResult,
  type RetryPolicy,
  type Verification,
} from '../domain/job';
import { GrantRefusedError, safeMessage, type Connector, type GrantSpec, type IssuedCredentials } from '../connectors/connector';
import type { ConnectorRegistry } from '../connectors/registry';
import { isTimeout, type CallReport } from '../domain/stuck';
import type { ConnectorName } from '@kairos/contracts';
import type { JobsRepository, JobWithContext } from './jobs.repository';

export interface WorkerLog {
  log(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface CredentialsSink {
  issued(grant: { grantId: string; requestId: string; subjectId: string }, credentials: IssuedCredentials, now: Date): Promise<void>;
}

/** Told how every grant/revoke call went, to notice a connector whose calls keep timing out. */
export interface CallObserver {
  recordCall(connector: ConnectorName, target: string, report: CallReport, subjectId?: string): void;
}

export interface WorkerOptions {
  readonly retry: RetryPolicy;
  /** How long a lease lasts without a heartbeat: an abandoned job is taken over this soon. */
  readonly leaseMs: number;
  readonly pollMs: number;
  /** Jobs run at once (of different (connector, target, identity) keys); default 8. */
  readonly concurrency?: number;
  /** How often a running job's lease is renewed; default a third of the lease. */
  readonly heartbeatMs?: number;
}

/**
 * Runs jobs after the consumer's transaction committed: target systems are never called while a
 * database transaction is open. Up to `concurrency` jobs run at once, so one stuck target or
 * identity never holds the others (jobs of one key still run one at a time, in order: the claim
 * query sees to that). Each job is leased and the lease renewed by a heartbeat while it runs; a
 * worker that dies stops renewing and the job is taken over once the short lease runs out.
 */
export class JobWorker {
  private readonly loop: WorkLoop;
  private readonly running = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly heartbeatMs: number;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly connectors: ConnectorRegistry,
    private readonly clock: Clock,
    private readonly options: WorkerOptions,
    private readonly log: WorkerLog,
    private readonly onResult: () => void,
    /** Where short-lived credentials wait for their requester (never the job, an event or a log). */
    private readonly credentials?: CredentialsSink,
    private readonly calls?: CallObserver,
    /** Where failures, retries and revocation lateness are counted (the service's /metrics). */
    private readonly registry?: Registry,
  ) {
    if (registry) {
      // Served from the start (at 0), so a dashboard and an alert see them before the first failure.
      for (const counter of ['jobAttemptFailures', 'jobRetries', 'jobFailures'] as const) operatorCounter(registry, counter);
      revocationLateness(registry);
    }
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.heartbeatMs = Math.max(10, options.heartbeatMs ?? Math.floor(options.leaseMs / 3));
    this.loop = new WorkLoop(() => this.runNext(), {
      idleMs: options.pollMs,
      onError: (error) => this.log.error('provisioning worker step failed', { reason: safeMessage(error) }),
    });
  }

  start(): void {
    this.loop.start();
  }

  notify(): void {
    this.loop.notify();
  }

  /** Stops claiming and waits for the jobs already running (each bounded by its connector's timeouts). */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.running]);
  }

  /** Claims one more job when a slot is free and starts it; true when it started one. */
  private async runNext(): Promise<boolean> {
    if (this.running.size >= this.concurrency) return false;
    const job = await this.jobs.claimNext(this.clock.now(), this.options.leaseMs);
    if (!job) return false;
    // Claiming a grant queued its ProvisioningStarted: the relay publishes it now, while the grant
    // runs, instead of at its next poll (so the request service has recorded it when the result comes).
    if (job.action === 'grant') this.onResult();
    const run: Promise<void> = this.runLeased(job)
      .catch((error: unknown) => this.log.error('provisioning job failed', { jobId: job.id, reason: safeMessage(error) }))
      .finally(() => {
        this.running.delete(run);
        this.onResult();
        this.loop.notify();
      });
    this.running.add(run);
    return true;
  }

  /** Runs a job while a heartbeat keeps its lease alive. */
  private async runLeased(job: JobWithContext): Promise<void> {
    let lost = false;
    const heartbeat = setInterval(() => {
      this.jobs
        .renewLease(job, this.clock.now(), this.options.leaseMs)
        .then((held) => {
          if (!held && !lost) {
            lost = true;
            this.log.warn('job lease lost (taken over or finished elsewhere); its outcome will be dropped', { jobId: job.id });
          }
        })
        .catch((error: unknown) => this.log.warn('job lease renewal failed', { jobId: job.id, reason: safeMessage(error) }));
    }, this.heartbeatMs);
    heartbeat.unref();
    try {
      await this.execute(job);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** One attempt, in a span that continues the trace the job was recorded in (its results carry it on). */
  private execute(job: JobWithContext): Promise<void> {
    const attributes = { 'kairos.job.id': job.id, 'kairos.job.action': job.action, 'kairos.connector': job.connector, 'kairos.job.attempt': job.attempts };
    return withSpan(`provisioning ${job.action}`, { parent: contextFromTraceparent(job.traceparent), attributes }, () => this.executeInSpan(job));
  }

  private async executeInSpan(job: JobWithContext): Promise<void> {
    const fields = {
      jobId: job.id,
      requestId: job.requestId,
      grantId: job.grantId,
      action: job.action,
      connector: job.connector,
      attempt: job.attempts,
    };
    if (job.action === 'revoke') {
      const retainedBy = await this.jobs.otherHolders(job);
      if (retainedBy.length > 0) {
        // Other active grants need exactly this access (same identity, same role in the same
        // target): this grant ends, the role stays, and the result says so (retainedBy) without
        // claiming the access is gone (verified: false).
        await this.jobs.finishRetained(job, retainedBy, this.clock.now());
        this.log.log('grant ended; the role stays in the target for other active grants of the same role', { ...fields, retainedBy });
        return;
      }
    }
    if (job.connector === 'manual') {
      const ticketId = await this.jobs.openTicket(job, this.clock.now());
      this.log.log('fulfilment ticket opened', { ...fields, ticketId });
      return;
    }
    const connector = this.connectors.get(job.connector);
    if (!connector) throw new Error(`no ${job.connector} connector is registered`);
    const { outcome, answer, credentials, call } = await attempt(connector, job);
    if (call) {
      const report: CallReport = call.timedOut ? { kind: 'timed_out', reason: call.reason, at: this.clock.now() } : { kind: 'answered' };
      this.calls?.recordCall(job.connector, job.target, report, job.subject.id);
    }
    if (credentials && outcome.kind === 'succeeded') {
      if (!this.credentials) throw new Error('short-lived credentials were issued but there is nowhere to keep them');
      await this.credentials.issued({ grantId: job.grantId, requestId: job.requestId, subjectId: job.subject.id }, credentials, this.clock.now());
    }
    const next = afterAttempt(job.attempts, outcome, this.options.retry, this.clock.now());
    const recorded = await this.jobs.finishAttempt(job, outcome, next, answer, this.clock.now());
    if (recorded) this.count(job, outcome, next);
    if (!recorded) this.log.warn('job was taken over by another worker; outcome dropped', fields);
    else if (outcome.kind === 'failed')
      this.log.warn('provisioning attempt failed', { ...fields, reason: outcome.reason, next: next.status });
    else this.log.log('provisioning attempt succeeded', fields);
  }

  /** The operator metrics of one recorded attempt. */
  private count(job: JobWithContext, outcome: AttemptOutcome, next: ReturnType<typeof afterAttempt>): void {
    if (!this.registry) return;
    const labels = { connector: job.connector, action: job.action };
    if (outcome.kind === 'failed') {
      operatorCounter(this.registry, 'jobAttemptFailures').inc(labels);
      if (next.status === 'pending') operatorCounter(this.registry, 'jobRetries').inc(labels);
      else operatorCounter(this.registry, 'jobFailures').inc(labels);
      return;
    }
    // A verified revocation of access that had expired: how long after the expiry it was gone.
    if (job.action === 'revoke' && job.expiresAt) {
      const late = (this.clock.now().getTime() - new Date(job.expiresAt).getTime()) / 1000;
      if (late >= 0) revocationLateness(this.registry).observe({ connector: job.connector }, late);
    }
  }
}

export function specOf(job: JobWithContext): GrantSpec {
  return {
    action: job.action,
    requestId: job.requestId,
    itemId: job.itemId,
    grantId: job.grantId,
    subject: job.subject,
    target: job.target,
    resourceId: job.resourceId,
    role: job.role,
    accessRole: job.accessRole,
    ...(job.duration ? { duration: job.duration } : {}),
    ...(job.expiresAt ? { expiresAt: job.expiresAt } : {}),
    breakGlass: job.breakGlass ?? false,
    ...(job.justification ? { justification: job.justification } : {}),
    ...(job.requestTicket ? { ticket: job.requestTicket } : {}),
    ...(job.revocationReason ? { revocationReason: job.revocationReason } : {}),
    ...(job.revocationRequestedBy ? { revocationRequestedBy: job.revocationRequestedBy } : {}),
  };
}

async function attempt(
  connector: Connector,
  job: JobWithContext,
): Promise<{ outcome: AttemptOutcome; answer?: string; credentials?: IssuedCredentials; call?: { timedOut: boolean; reason: string } }> {
  const spec = specOf(job);
  if (!spec.accessRole) {
    // A job recorded before roles were kept: the role to check is unknown, so nothing is claimed.
    return { outcome: { kind: 'failed', verified: false, refused: true, reason: 'the job does not say which role it is about' } };
  }
  let call: CallResult;
  let timedOut = false;
  let answer: string | undefined;
  let credentials: IssuedCredentials | undefined;
  try {
    // The call to the target system is a client span of its own (the webhook connector sends its traceparent).
    const said = await withSpan(`${job.connector} ${job.action}`, { kind: SpanKind.CLIENT, attributes: { 'kairos.connector': job.connector, 'kairos.target': job.target } }, () =>
      job.action === 'grant' ? connector.grant(spec) : connector.revoke(spec),
    );
    answer = typeof said === 'string' ? said : said?.answer;
    credentials = typeof said === 'object' ? said.credentials : undefined;
    call = { ok: true };
  } catch (error) {
    call = { ok: false, reason: safeMessage(error), ...(error instanceof GrantRefusedError ? { refused: true } : {}) };
    timedOut = isTimeout(error);
    if (call.refused) return { outcome: judgeAttempt(job.action, call, { ok: false, reason: 'not asked' }) };
  }
  let verification: Verification;
  try {
    verification = { ok: true, state: await connector.verify(spec) };
  } catch (error) {
    verification = { ok: false, reason: safeMessage(error) };
  }
  const report = { timedOut, reason: call.ok ? '' : call.reason };
  return { outcome: judgeAttempt(job.action, call, verification), answer, call: report, ...(credentials ? { credentials } : {}) };
}
