import type { Registry } from 'prom-client';
import { operatorCounter, revocationLateness } from '@kairos/observability';
import type { AttemptOutcome, JobWithContext, NextJobState } from '../../domain/job';
import type { JobMetrics } from '../../use-cases/run-job/ports';

/** The provisioning operator metrics (failed attempts, retries, final failures, revocation lateness) on /metrics. */
export class PrometheusJobMetrics implements JobMetrics {
  constructor(private readonly registry: Registry) {
    // Served from the start (at 0), so a dashboard and an alert see them before the first failure.
    for (const counter of ['jobAttemptFailures', 'jobRetries', 'jobFailures'] as const) operatorCounter(registry, counter);
    revocationLateness(registry);
  }

  attemptRecorded(job: JobWithContext, outcome: AttemptOutcome, next: NextJobState, now: Date): void {
    const labels = { connector: job.connector, action: job.action };
    if (outcome.kind === 'failed') {
      operatorCounter(this.registry, 'jobAttemptFailures').inc(labels);
      if (next.status === 'pending') operatorCounter(this.registry, 'jobRetries').inc(labels);
      else operatorCounter(this.registry, 'jobFailures').inc(labels);
      return;
    }
    // A verified revocation of access that had expired: how long after the expiry it was gone.
    if (job.action === 'revoke' && job.expiresAt) {
      const late = (now.getTime() - new Date(job.expiresAt).getTime()) / 1000;
      if (late >= 0) revocationLateness(this.registry).observe({ connector: job.connector }, late);
    }
  }
}
