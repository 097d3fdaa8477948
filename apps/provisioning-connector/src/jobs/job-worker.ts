import { WorkLoop } from '@kairos/messaging';
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
import type { JobsRepository, JobWithContext } from './jobs.repository';

export interface WorkerLog {
  log(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface CredentialsSink {
  issued(grant: { grantId: string; requestId: string; subjectId: string }, credentials: IssuedCredentials, now: Date): Promise<void>;
}

export interface WorkerOptions {
  readonly retry: RetryPolicy;
  readonly leaseMs: number;
  readonly pollMs: number;
}

/**
 * Runs jobs after the consumer's transaction committed: target systems are never called while a
 * database transaction is open. Each job is leased; a worker that dies leaves the lease to run out
 * and the job is taken up again on restart (or by another replica).
 */
export class JobWorker {
  private readonly loop: WorkLoop;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly connectors: ConnectorRegistry,
    private readonly clock: Clock,
    private readonly options: WorkerOptions,
    private readonly log: WorkerLog,
    private readonly onResult: () => void,
    /** Where short-lived credentials wait for their requester (never the job, an event or a log). */
    private readonly credentials?: CredentialsSink,
  ) {
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

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async runNext(): Promise<boolean> {
    const job = await this.jobs.claimNext(this.clock.now(), this.options.leaseMs);
    if (!job) return false;
    await this.execute(job);
    this.onResult();
    return true;
  }

  private async execute(job: JobWithContext): Promise<void> {
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
    const { outcome, answer, credentials } = await attempt(connector, job);
    if (credentials && outcome.kind === 'succeeded') {
      if (!this.credentials) throw new Error('short-lived credentials were issued but there is nowhere to keep them');
      await this.credentials.issued({ grantId: job.grantId, requestId: job.requestId, subjectId: job.subject.id }, credentials, this.clock.now());
    }
    const next = afterAttempt(job.attempts, outcome, this.options.retry, this.clock.now());
    const recorded = await this.jobs.finishAttempt(job, outcome, next, answer, this.clock.now());
    if (!recorded) this.log.warn('job was taken over by another worker; outcome dropped', fields);
    else if (outcome.kind === 'failed')
      this.log.warn('provisioning attempt failed', { ...fields, reason: outcome.reason, next: next.status });
    else this.log.log('provisioning attempt succeeded', fields);
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
): Promise<{ outcome: AttemptOutcome; answer?: string; credentials?: IssuedCredentials }> {
  const spec = specOf(job);
  if (!spec.accessRole) {
    // A job recorded before roles were kept: the role to check is unknown, so nothing is claimed.
    return { outcome: { kind: 'failed', verified: false, refused: true, reason: 'the job does not say which role it is about' } };
  }
  let call: CallResult;
  let answer: string | undefined;
  let credentials: IssuedCredentials | undefined;
  try {
    const said = job.action === 'grant' ? await connector.grant(spec) : await connector.revoke(spec);
    answer = typeof said === 'string' ? said : said?.answer;
    credentials = typeof said === 'object' ? said.credentials : undefined;
    call = { ok: true };
  } catch (error) {
    call = { ok: false, reason: safeMessage(error), ...(error instanceof GrantRefusedError ? { refused: true } : {}) };
    if (call.refused) return { outcome: judgeAttempt(job.action, call, { ok: false, reason: 'not asked' }) };
  }
  let verification: Verification;
  try {
    verification = { ok: true, state: await connector.verify(spec) };
  } catch (error) {
    verification = { ok: false, reason: safeMessage(error) };
  }
  return { outcome: judgeAttempt(job.action, call, verification), answer, ...(credentials ? { credentials } : {}) };
}
