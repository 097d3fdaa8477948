import { WorkLoop } from '@kairos/messaging';
import { contextFromTraceparent, safeErrorMessage, SpanKind, withSpan } from '@kairos/observability';
import type { Clock } from '@kairos/clock';
import type { JobWithContext } from '../../domain/job';
import type { JobLog, TraceCall } from '../../use-cases/run-job/ports';
import type { RunJob } from '../../use-cases/run-job/run-job';
import type { JobsRepository } from '../postgres/jobs.repository';

export type WorkerLog = JobLog;

export interface WorkerOptions {
  /** How long a lease lasts without a heartbeat: an abandoned job is taken over this soon. */
  readonly leaseMs: number;
  readonly pollMs: number;
  /** Jobs run at once (of different (connector, target, identity) keys); default 8. */
  readonly concurrency?: number;
  /** How often a running job's lease is renewed; default a third of the lease. */
  readonly heartbeatMs?: number;
}

/** The call to the target system is a client span of its own (the webhook connector sends its traceparent). */
export const traceConnectorCall: TraceCall = (job, call) =>
  withSpan(`${job.connector} ${job.action}`, { kind: SpanKind.CLIENT, attributes: { 'kairos.connector': job.connector, 'kairos.target': job.target } }, call);

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
    /** The job queue: claims and leases (adapters/postgres). */
    private readonly jobs: JobsRepository,
    /** One attempt of a claimed job (the use case). */
    private readonly runJob: RunJob,
    private readonly clock: Clock,
    private readonly options: WorkerOptions,
    private readonly log: WorkerLog,
    private readonly onResult: () => void,
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.heartbeatMs = Math.max(10, options.heartbeatMs ?? Math.floor(options.leaseMs / 3));
    this.loop = new WorkLoop(() => this.runNext(), {
      idleMs: options.pollMs,
      onError: (error) => this.log.error('provisioning worker step failed', { reason: safeErrorMessage(error) }),
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
      .catch((error: unknown) => this.log.error('provisioning job failed', { jobId: job.id, reason: safeErrorMessage(error) }))
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
        .catch((error: unknown) => this.log.warn('job lease renewal failed', { jobId: job.id, reason: safeErrorMessage(error) }));
    }, this.heartbeatMs);
    heartbeat.unref();
    try {
      await this.execute(job);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** One attempt, in a span that continues the trace the job was recorded in (its results carry it on). */
  private async execute(job: JobWithContext): Promise<void> {
    const attributes = { 'kairos.job.id': job.id, 'kairos.job.action': job.action, 'kairos.connector': job.connector, 'kairos.job.attempt': job.attempts };
    await withSpan(`provisioning ${job.action}`, { parent: contextFromTraceparent(job.traceparent), attributes }, () => this.runJob.run(job));
  }
}
