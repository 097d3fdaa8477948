import type { ConnectorName, JobAction, JobStatus } from '../../domain/job';

/** A job as admins see it in the jobs list. */
export interface JobView {
  readonly id: string;
  readonly requestId: string;
  readonly itemId: string;
  readonly grantId: string;
  readonly action: JobAction;
  readonly connector: ConnectorName;
  readonly target: string;
  readonly subject: { id: string; kind: string };
  readonly resourceId: string | null;
  readonly role: string | null;
  readonly accessRole: string | null;
  readonly expiresAt: string | null;
  readonly revocationReason: string | null;
  /** A revocation that left the role in place for these other active grants. */
  readonly retainedBy: string[] | null;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  readonly lastAnswer: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface JobList {
  listJobs(status: JobStatus | undefined, limit: number): Promise<JobView[]>;
}

/** Grant and revoke jobs, newest first, optionally of one status (failed = retries exhausted, a person must act). */
export class ListJobs {
  constructor(private readonly jobs: JobList) {}

  list(status?: JobStatus, limit = 100): Promise<JobView[]> {
    return this.jobs.listJobs(status, limit);
  }
}
