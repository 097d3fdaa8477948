import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { enqueueOutbox, type OutgoingMessage } from '@kairos/messaging';
import type { AttemptOutcome, ConnectorName, Job, JobAction, JobStatus, NextJobState } from '../domain/job';
import { resultMessage, type JobResult } from '../domain/results';

export const SOURCE = 'urn:kairos:provisioning-connector';

export interface NewJob {
  readonly requestId: string;
  readonly itemId: string;
  readonly grantId: string;
  readonly action: JobAction;
  readonly connector: ConnectorName;
  readonly target: string;
  readonly subject: { readonly id: string; readonly kind: 'person' | 'service' };
  readonly correlationId?: string;
}

interface JobRow {
  id: string;
  request_id: string;
  item_id: string;
  grant_id: string;
  action: JobAction;
  connector: ConnectorName;
  target: string;
  subject_id: string;
  subject_kind: 'person' | 'service';
  status: JobStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  last_answer: string | null;
  correlation_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface JobView {
  readonly id: string;
  readonly requestId: string;
  readonly itemId: string;
  readonly grantId: string;
  readonly action: JobAction;
  readonly connector: ConnectorName;
  readonly target: string;
  readonly subject: { id: string; kind: string };
  readonly status: JobStatus;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  readonly lastAnswer: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type TicketStatus = 'open' | 'completed' | 'failed';

export interface TicketView {
  readonly id: string;
  readonly status: TicketStatus;
  readonly action: JobAction;
  readonly requestId: string;
  readonly itemId: string;
  readonly grantId: string;
  readonly target: string;
  readonly subject: { id: string; kind: string };
  readonly comment: string | null;
  readonly resolvedBy: string | null;
  readonly openedAt: string;
  readonly resolvedAt: string | null;
}

export type TicketResolution =
  | { readonly kind: 'completed'; readonly by: string; readonly comment: string }
  | { readonly kind: 'failed'; readonly by: string; readonly comment: string };

export type ResolveOutcome =
  | { readonly kind: 'resolved'; readonly ticket: TicketView }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'already_resolved'; readonly status: TicketStatus }
  | { readonly kind: 'own_access' };

const toJob = (r: JobRow): Job => ({
  id: r.id,
  requestId: r.request_id,
  itemId: r.item_id,
  grantId: r.grant_id,
  action: r.action,
  connector: r.connector,
  target: r.target,
  subject: { id: r.subject_id, kind: r.subject_kind },
  status: r.status,
  attempts: r.attempts,
  correlationId: r.correlation_id ?? undefined,
});

const toView = (r: JobRow): JobView => ({
  id: r.id,
  requestId: r.request_id,
  itemId: r.item_id,
  grantId: r.grant_id,
  action: r.action,
  connector: r.connector,
  target: r.target,
  subject: { id: r.subject_id, kind: r.subject_kind },
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: new Date(r.next_attempt_at).toISOString(),
  lastError: r.last_error,
  lastAnswer: r.last_answer,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

// TypeORM answers an UPDATE/DELETE … RETURNING with [rows, count] but an INSERT/SELECT with rows.
function rowsOf<T = unknown>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

export function outgoing(job: Job, attempt: number, result: JobResult, now: Date): OutgoingMessage {
  const { id, message } = resultMessage(job, attempt, result, now);
  return {
    topic: TOPICS.provisioningResults,
    key: job.requestId,
    id,
    type: message.type,
    subject: job.requestId,
    time: now.toISOString(),
    source: SOURCE,
    data: message.data,
    correlationId: job.correlationId,
  };
}

/** All SQL of jobs, active grants and tickets. Every state change and its message share a transaction. */
@Injectable()
export class JobsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Records a job in the consumer's transaction; a second request for the same effect is a no-op. */
  async record(tx: EntityManager, job: NewJob, now: Date): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO provisioning_jobs (id, request_id, item_id, action, grant_id, connector, target, subject_id, subject_kind,
         status, attempts, next_attempt_at, correlation_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $11, $10, $10)
       ON CONFLICT (request_id, item_id, action, grant_id) DO NOTHING RETURNING 1`,
      [
        randomUUID(),
        job.requestId,
        job.itemId,
        job.action,
        job.grantId,
        job.connector,
        job.target,
        job.subject.id,
        job.subject.kind,
        now,
        job.correlationId ?? null,
      ],
    );
    return rows.length > 0;
  }

  /**
   * Takes the next due job (or one whose worker died: its lease ran out) and leases it. Jobs of one
   * (connector, target, subject) run one at a time in arrival order, so a revocation never races
   * the grant it ends, and the reference count is read by nobody else meanwhile. The advisory
   * lock makes claims of several replicas take turns.
   */
  async claimNext(now: Date, leaseMs: number): Promise<Job | undefined> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('provisioning_jobs.claim'))`);
      const rows: JobRow[] = await tx.query(
        `SELECT j.* FROM provisioning_jobs j
          WHERE ((j.status = 'pending' AND j.next_attempt_at <= $1) OR (j.status = 'running' AND j.lease_until <= $1))
            AND NOT EXISTS (
              SELECT 1 FROM provisioning_jobs e
               WHERE e.connector = j.connector AND e.target = j.target AND e.subject_id = j.subject_id
                 AND e.seq < j.seq AND e.status IN ('pending', 'running', 'awaiting_person'))
          ORDER BY j.next_attempt_at, j.seq
          LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [now],
      );
      const row = rows[0];
      if (!row) return undefined;
      const updated = rowsOf<JobRow>(
        await tx.query(
          `UPDATE provisioning_jobs SET status = 'running', attempts = attempts + 1, lease_until = $2, updated_at = $3
            WHERE id = $1 RETURNING *`,
          [row.id, new Date(now.getTime() + leaseMs), now],
        ),
      );
      const job = toJob(updated[0]!);
      if (job.action === 'grant' && job.connector !== 'manual') {
        await enqueueOutbox(tx, [outgoing(job, job.attempts, { kind: 'started' }, now)]);
      }
      return job;
    });
  }

  /** Active grants of the same identity and target other than this job's own. */
  async otherHolders(job: Job): Promise<number> {
    const rows: { n: string }[] = await this.dataSource.query(
      `SELECT count(*) AS n FROM provisioning_active_grants
        WHERE connector = $1 AND target = $2 AND subject_id = $3 AND grant_id <> $4`,
      [job.connector, job.target, job.subject.id, job.grantId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Records an attempt's outcome. The guard on (status, attempts) drops the answer of a worker
   * whose lease ran out and whose job another worker already took over.
   */
  async finishAttempt(job: Job, outcome: AttemptOutcome, next: NextJobState, answer: string | undefined, now: Date): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const updated = rowsOf(
        await tx.query(
          `UPDATE provisioning_jobs
            SET status = $3, next_attempt_at = COALESCE($4, next_attempt_at), lease_until = NULL,
                last_error = $5, last_answer = COALESCE($6, last_answer), updated_at = $7
          WHERE id = $1 AND status = 'running' AND attempts = $2 RETURNING 1`,
          [
            job.id,
            job.attempts,
            next.status,
            next.status === 'pending' ? next.nextAttemptAt : null,
            outcome.kind === 'failed' ? outcome.reason : null,
            answer ?? null,
            now,
          ],
        ),
      );
      if (updated.length === 0) return false;
      if (outcome.kind === 'succeeded') await this.applyToHolders(tx, job, now);
      const result: JobResult =
        outcome.kind === 'succeeded'
          ? { kind: 'succeeded', verified: outcome.verified }
          : { kind: 'failed', reason: outcome.reason, verified: outcome.verified, final: next.status === 'failed' };
      await enqueueOutbox(tx, [outgoing(job, job.attempts, result, now)]);
      return true;
    });
  }

  /** A manual job becomes a ticket for people; a grant ticket is announced with ProvisioningStarted. */
  async openTicket(job: Job, now: Date): Promise<string | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const updated = rowsOf(
        await tx.query(
          `UPDATE provisioning_jobs SET status = 'awaiting_person', lease_until = NULL, updated_at = $3
            WHERE id = $1 AND status = 'running' AND attempts = $2 RETURNING 1`,
          [job.id, job.attempts, now],
        ),
      );
      if (updated.length === 0) return undefined;
      const ticketId = randomUUID();
      await tx.query(`INSERT INTO provisioning_tickets (id, job_id, status, opened_at) VALUES ($1, $2, 'open', $3)`, [
        ticketId,
        job.id,
        now,
      ]);
      if (job.action === 'grant') await enqueueOutbox(tx, [outgoing(job, job.attempts, { kind: 'started', ticketId }, now)]);
      return ticketId;
    });
  }

  async resolveTicket(ticketId: string, resolution: TicketResolution, now: Date): Promise<ResolveOutcome> {
    return this.dataSource.transaction(async (tx) => {
      const rows: (JobRow & { ticket_status: TicketStatus })[] = await tx.query(
        `SELECT j.*, t.status AS ticket_status FROM provisioning_tickets t JOIN provisioning_jobs j ON j.id = t.job_id
          WHERE t.id = $1 FOR UPDATE OF t, j`,
        [ticketId],
      );
      const row = rows[0];
      if (!row) return { kind: 'not_found' };
      if (row.ticket_status !== 'open') return { kind: 'already_resolved', status: row.ticket_status };
      // Separation of duties: nobody fulfils (or closes) a ticket about their own access.
      if (row.subject_id === resolution.by) return { kind: 'own_access' };
      const job = toJob(row);
      await tx.query(`UPDATE provisioning_tickets SET status = $2, comment = $3, resolved_by = $4, resolved_at = $5 WHERE id = $1`, [
        ticketId,
        resolution.kind,
        resolution.comment,
        resolution.by,
        now,
      ]);
      const status: JobStatus = resolution.kind === 'completed' ? 'succeeded' : 'failed';
      await tx.query(`UPDATE provisioning_jobs SET status = $2, last_error = $3, updated_at = $4 WHERE id = $1`, [
        job.id,
        status,
        resolution.kind === 'failed' ? resolution.comment : null,
        now,
      ]);
      if (resolution.kind === 'completed') await this.applyToHolders(tx, job, now);
      const result: JobResult =
        resolution.kind === 'completed'
          ? { kind: 'succeeded', verified: true }
          : { kind: 'failed', reason: `${resolution.by}: ${resolution.comment}`, final: true, verified: false };
      await enqueueOutbox(tx, [outgoing(job, Math.max(1, job.attempts), result, now)]);
      const ticket = await this.ticket(tx, ticketId);
      return { kind: 'resolved', ticket: ticket! };
    });
  }

  async listJobs(status: JobStatus | undefined, limit: number): Promise<JobView[]> {
    const rows: JobRow[] = await this.dataSource.query(
      `SELECT * FROM provisioning_jobs WHERE ($1::text IS NULL OR status = $1) ORDER BY seq DESC LIMIT $2`,
      [status ?? null, limit],
    );
    return rows.map(toView);
  }

  async listTickets(status: TicketStatus | undefined, limit: number): Promise<TicketView[]> {
    const rows: TicketRow[] = await this.dataSource.query(
      `${TICKET_SELECT} WHERE ($1::text IS NULL OR t.status = $1) ORDER BY t.opened_at, t.id LIMIT $2`,
      [status ?? null, limit],
    );
    return rows.map(toTicketView);
  }

  private async ticket(tx: EntityManager, id: string): Promise<TicketView | undefined> {
    const rows: TicketRow[] = await tx.query(`${TICKET_SELECT} WHERE t.id = $1`, [id]);
    return rows[0] ? toTicketView(rows[0]) : undefined;
  }

  private async applyToHolders(tx: EntityManager, job: Job, now: Date): Promise<void> {
    switch (job.action) {
      case 'grant':
        await tx.query(
          `INSERT INTO provisioning_active_grants (connector, target, subject_id, grant_id, request_id, granted_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [job.connector, job.target, job.subject.id, job.grantId, job.requestId, now],
        );
        return;
      case 'revoke':
        await tx.query(
          `DELETE FROM provisioning_active_grants WHERE connector = $1 AND target = $2 AND subject_id = $3 AND grant_id = $4`,
          [job.connector, job.target, job.subject.id, job.grantId],
        );
        return;
      default: {
        const exhaustive: never = job.action;
        return exhaustive;
      }
    }
  }
}

interface TicketRow {
  id: string;
  status: TicketStatus;
  comment: string | null;
  resolved_by: string | null;
  opened_at: Date;
  resolved_at: Date | null;
  action: JobAction;
  request_id: string;
  item_id: string;
  grant_id: string;
  target: string;
  subject_id: string;
  subject_kind: string;
}

const TICKET_SELECT = `SELECT t.id, t.status, t.comment, t.resolved_by, t.opened_at, t.resolved_at,
  j.action, j.request_id, j.item_id, j.grant_id, j.target, j.subject_id, j.subject_kind
  FROM provisioning_tickets t JOIN provisioning_jobs j ON j.id = t.job_id`;

const toTicketView = (r: TicketRow): TicketView => ({
  id: r.id,
  status: r.status,
  action: r.action,
  requestId: r.request_id,
  itemId: r.item_id,
  grantId: r.grant_id,
  target: r.target,
  subject: { id: r.subject_id, kind: r.subject_kind },
  comment: r.comment,
  resolvedBy: r.resolved_by,
  openedAt: new Date(r.opened_at).toISOString(),
  resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
});
