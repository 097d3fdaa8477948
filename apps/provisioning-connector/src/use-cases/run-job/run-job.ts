import { randomUUID } from 'node:crypto';
import { GrantRefusedError, type Connector, type GrantSpec, type IssuedCredentials } from '../../domain/connector';
import { afterAttempt, judgeAttempt, type AttemptOutcome, type CallResult, type JobWithContext, type Verification } from '../../domain/job';
import { isTimeout, type CallReport } from '../../domain/stuck';
import type { RunJobPorts } from './ports';

/** What one attempt of a claimed job came to. */
export type RunOutcome =
  | { readonly kind: 'retained'; readonly retainedBy: readonly string[] }
  | { readonly kind: 'ticket_opened'; readonly ticketId: string | undefined }
  | { readonly kind: 'attempted'; readonly outcome: AttemptOutcome; readonly recorded: boolean };

/**
 * One attempt of a grant or revoke job the worker claimed: a revocation whose role other grants
 * still need ends without touching the target; a manual job becomes a ticket; otherwise the
 * connector is called, the target verified, and the verdict recorded with its result message.
 * Target systems are called outside any database transaction.
 */
export class RunJob {
  constructor(private readonly ports: RunJobPorts) {}

  async run(job: JobWithContext): Promise<RunOutcome> {
    const { jobs, clock, log } = this.ports;
    const fields = {
      jobId: job.id,
      requestId: job.requestId,
      grantId: job.grantId,
      action: job.action,
      connector: job.connector,
      attempt: job.attempts,
    };
    if (job.action === 'revoke') {
      const retainedBy = await jobs.otherHolders(job);
      if (retainedBy.length > 0) {
        // Other active grants need exactly this access (same identity, same role in the same
        // target): this grant ends, the role stays, and the result says so (retainedBy) without
        // claiming the access is gone (verified: false).
        await jobs.finishRetained(job, retainedBy, clock.now());
        log.log('grant ended; the role stays in the target for other active grants of the same role', { ...fields, retainedBy });
        return { kind: 'retained', retainedBy };
      }
    }
    if (job.connector === 'manual') {
      const minted = (this.ports.newId ?? randomUUID)();
      // Not opened when the job is no longer this attempt's (taken over after a lost lease).
      const ticketId = (await jobs.openTicket(job, minted, clock.now())) ? minted : undefined;
      log.log('fulfilment ticket opened', { ...fields, ticketId });
      return { kind: 'ticket_opened', ticketId };
    }
    const connector = this.ports.connectors.get(job.connector);
    if (!connector) throw new Error(`no ${job.connector} connector is registered`);
    const { outcome, answer, credentials, call } = await this.attempt(connector, job);
    if (call) {
      const report: CallReport = call.timedOut ? { kind: 'timed_out', reason: call.reason, at: clock.now() } : { kind: 'answered' };
      this.ports.calls?.recordCall(job.connector, job.target, report, job.subject.id);
    }
    if (credentials && outcome.kind === 'succeeded') {
      if (!this.ports.credentials) throw new Error('short-lived credentials were issued but there is nowhere to keep them');
      await this.ports.credentials.issued({ grantId: job.grantId, requestId: job.requestId, subjectId: job.subject.id }, credentials, clock.now());
    }
    const next = afterAttempt(job.attempts, outcome, this.ports.retry, clock.now());
    const recorded = await jobs.finishAttempt(job, outcome, next, answer, clock.now());
    if (recorded) this.ports.metrics?.attemptRecorded(job, outcome, next, clock.now());
    if (!recorded) log.warn('job was taken over by another worker; outcome dropped', fields);
    else if (outcome.kind === 'failed') log.warn('provisioning attempt failed', { ...fields, reason: outcome.reason, next: next.status });
    else log.log('provisioning attempt succeeded', fields);
    return { kind: 'attempted', outcome, recorded };
  }

  private async attempt(
    connector: Connector,
    job: JobWithContext,
  ): Promise<{ outcome: AttemptOutcome; answer?: string; credentials?: IssuedCredentials; call?: { timedOut: boolean; reason: string } }> {
    const { describe } = this.ports;
    const spec = specOf(job);
    if (!spec.accessRole) {
      // A job recorded before roles were kept: the role to check is unknown, so nothing is claimed.
      return { outcome: { kind: 'failed', verified: false, refused: true, reason: 'the job does not say which role it is about' } };
    }
    const traceCall = this.ports.traceCall ?? ((_job, call) => call());
    let call: CallResult;
    let timedOut = false;
    let answer: string | undefined;
    let credentials: IssuedCredentials | undefined;
    try {
      const said = await traceCall(job, () => (job.action === 'grant' ? connector.grant(spec) : connector.revoke(spec)));
      answer = typeof said === 'string' ? said : said?.answer;
      credentials = typeof said === 'object' ? said.credentials : undefined;
      call = { ok: true };
    } catch (error) {
      call = { ok: false, reason: describe(error), ...(error instanceof GrantRefusedError ? { refused: true } : {}) };
      timedOut = isTimeout(error);
      if (call.refused) return { outcome: judgeAttempt(job.action, call, { ok: false, reason: 'not asked' }) };
    }
    let verification: Verification;
    try {
      verification = { ok: true, state: await connector.verify(spec) };
    } catch (error) {
      verification = { ok: false, reason: describe(error) };
    }
    const report = { timedOut, reason: call.ok ? '' : call.reason };
    return { outcome: judgeAttempt(job.action, call, verification), answer, call: report, ...(credentials ? { credentials } : {}) };
  }
}

/** What a connector is asked to grant, revoke or verify for a job. */
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
