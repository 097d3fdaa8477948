import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { enqueueOutbox, type OutgoingMessage } from '@kairos/messaging';
import { addDuration } from '@kairos/access-request-domain';
import { redactSecrets, traceparentOf } from '@kairos/observability';
import { returnedRows as rowsOf } from '@kairos/persistence';
import type { AttemptOutcome, ConnectorName, Job, JobAction, JobStatus, JobWithContext, NextJobState } from '../../domain/job';
import { refusalToResolve, type RequestItemContext } from '../../domain/fulfilment';
import { RETAINED_BY_NAMED, retainingGrants } from '../../domain/holders';
import { resultMessage, type JobResult } from '../../domain/results';
import type { Resolver, ResolveOutcome, TicketResolution, TicketStatus, TicketView } from '../../domain/tickets';
import type { JobList, JobView } from '../../use-cases/list-jobs/list-jobs';
import type { TicketQueue } from '../../use-cases/list-tickets/list-tickets';
import type { Recordable } from '../../use-cases/record-requested-job/ports';
import type { TicketStore } from '../../use-cases/resolve-ticket/resolve-ticket';
import type { JobStore } from '../../use-cases/run-job/ports';

export const SOURCE = 'urn:kairos:provisioning-connector';

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
  traceparent?: string | null;
  created_at: Date;
  updated_at: Date;
  resource_id: string | null;
  role: string | null;
  access_role: string | null;
  duration: string | null;
  expires_at: Date | null;
  revocation_reason: string | null;
  revocation_requested_by: string | null;
  break_glass: boolean;
  retained_by: string[] | null;
  // from provisioning_request_items (null when the request was recorded before the connector kept it)
  requester_id?: string | null;
  requested_by?: string | null;
  justification?: string | null;
  request_ticket?: string | null;
  fulfillers?: string[] | null;
}

const toJob = (r: JobRow): JobWithContext => ({
  id: r.id,
  resourceId: r.resource_id ?? '',
  role: r.role ?? '',
  // Jobs recorded before roles were kept: postgres holds the target, others an unknown role.
  accessRole: r.access_role ?? (r.connector === 'postgres' ? r.target : ''),
  ...(r.duration ? { duration: r.duration } : {}),
  ...(r.expires_at ? { expiresAt: new Date(r.expires_at).toISOString() } : {}),
  ...(r.revocation_reason ? { revocationReason: r.revocation_reason } : {}),
  ...(r.revocation_requested_by ? { revocationRequestedBy: r.revocation_requested_by } : {}),
  breakGlass: r.break_glass,
  ...(r.justification ? { justification: r.justification } : {}),
  ...(r.request_ticket ? { requestTicket: r.request_ticket } : {}),
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
  ...(r.traceparent ? { traceparent: r.traceparent } : {}),
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
  resourceId: r.resource_id,
  role: r.role,
  accessRole: r.access_role,
  expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
  revocationReason: r.revocation_reason,
  retainedBy: r.retained_by,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: new Date(r.next_attempt_at).toISOString(),
  lastError: r.last_error,
  lastAnswer: r.last_answer,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

export function outgoing(job: Job, attempt: number, result: JobResult, now: Date): OutgoingMessage {
  const { id, message } = resultMessage(job, attempt, result, now, redactSecrets);
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
    // The attempt's span when inside one, else the trace the job was recorded in.
    traceparent: traceparentOf() ?? job.traceparent,
  };
}

/** All SQL of jobs, active grants and tickets. Every state change and its message share a transaction. */
@Injectable()
export class JobsRepository implements JobStore, JobList, TicketQueue, TicketStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Records, in the consumer's transaction, a job (a second request for the same effect is a
   * no-op) or the context of a new request's items.
   */
  async record(tx: EntityManager, recordable: Recordable, now: Date): Promise<boolean> {
    if (recordable.kind === 'request') return this.recordRequest(tx, recordable.items, now);
    const job = recordable;
    // A revocation carries the expiry its grant had (recorded when the grant succeeded).
    const rows: unknown[] = await tx.query(
      `INSERT INTO provisioning_jobs (id, request_id, item_id, action, grant_id, connector, target, subject_id, subject_kind,
         status, attempts, next_attempt_at, correlation_id, created_at, updated_at,
         resource_id, role, access_role, duration, revocation_reason, revocation_requested_by, break_glass, traceparent, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $11, $10, $10, $12, $13, $14, $15, $16, $17, $18, $19,
         CASE WHEN $4 = 'revoke' THEN (SELECT g.expires_at FROM provisioning_jobs g
                                        WHERE g.request_id = $2 AND g.item_id = $3 AND g.grant_id = $5 AND g.action = 'grant') END)
       ON CONFLICT (request_id, item_id, action, grant_id) DO NOTHING RETURNING 1`,
      [
        job.id,
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
        job.resourceId,
        job.role,
        job.accessRole,
        job.duration ?? null,
        job.revocationReason ?? null,
        job.revocationRequestedBy ?? null,
        job.breakGlass ?? false,
        // Recorded in the consumer's span: the job's attempts continue that trace.
        traceparentOf() ?? null,
      ],
    );
    return rows.length > 0;
  }

  private async recordRequest(tx: EntityManager, items: readonly RequestItemContext[], now: Date): Promise<boolean> {
    let recorded = false;
    for (const item of items) {
      const rows: unknown[] = await tx.query(
        `INSERT INTO provisioning_request_items (request_id, item_id, requester_id, requested_by, justification, ticket, resource_id, role, fulfillers, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (request_id, item_id) DO NOTHING RETURNING 1`,
        [
          item.requestId,
          item.itemId,
          item.requesterId,
          item.requestedBy,
          item.justification,
          item.ticket ?? null,
          item.resourceId,
          item.role,
          [...item.fulfillers],
          now,
        ],
      );
      recorded = recorded || rows.length > 0;
    }
    return recorded;
  }

  /**
   * Takes the next due job (or one whose worker died: its lease ran out) and leases it. Jobs of one
   * (connector, target, subject) run one at a time in arrival order, so a revocation never races
   * the grant it ends, and the reference count is read by nobody else meanwhile. The advisory
   * lock makes claims of several replicas take turns.
   */
  async claimNext(now: Date, leaseMs: number): Promise<JobWithContext | undefined> {
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
      const job = toJob({ ...updated[0]!, ...(await this.context(tx, row)) });
      if (job.action === 'grant' && job.connector !== 'manual') {
        await enqueueOutbox(tx, [outgoing(job, job.attempts, { kind: 'started' }, now)]);
      }
      return job;
    });
  }

  /**
   * The heartbeat of a running job: pushes its lease out while its worker is alive. False when the
   * job is no longer this attempt's (taken over after a lost lease, or finished).
   */
  async renewLease(job: Job, now: Date, leaseMs: number): Promise<boolean> {
    const updated = rowsOf(
      await this.dataSource.query(
        `UPDATE provisioning_jobs SET lease_until = $3 WHERE id = $1 AND status = 'running' AND attempts = $2 RETURNING 1`,
        [job.id, job.attempts, new Date(now.getTime() + leaseMs)],
      ),
    );
    return updated.length > 0;
  }

  private async context(tx: EntityManager, row: { request_id: string; item_id: string }): Promise<Partial<JobRow>> {
    const rows: Partial<JobRow>[] = await tx.query(
      `SELECT requester_id, requested_by, justification, ticket AS request_ticket, fulfillers
         FROM provisioning_request_items WHERE request_id = $1 AND item_id = $2`,
      [row.request_id, row.item_id],
    );
    return rows[0] ?? {};
  }

  /**
   * Other active grants that need exactly the same access: same identity, same role held in the
   * same target. A grant of a different role never keeps this one.
   */
  async otherHolders(job: Job): Promise<string[]> {
    // The rule is the domain's; the SQL gathers no more of this identity's active grants in this
    // target than it can name: those of the same access role, in its order (grantedAt, then grant id
    // by code point), one extra in case the revoked grant is among them. So a revocation costs the
    // same whether the identity holds ten grants or thousands.
    const rows: { grant_id: string; access_role: string | null; granted_at: Date }[] = await this.dataSource.query(
      `SELECT grant_id, access_role, granted_at FROM provisioning_active_grants
        WHERE connector = $1 AND target = $2 AND subject_id = $3 AND access_role = $4
        ORDER BY granted_at, grant_id COLLATE "C" LIMIT $5`,
      [job.connector, job.target, job.subject.id, job.accessRole, RETAINED_BY_NAMED + 1],
    );
    return retainingGrants(
      job,
      rows.map((r) => ({ grantId: r.grant_id, accessRole: r.access_role ?? '', grantedAt: new Date(r.granted_at) })),
    );
  }

  /** A revocation that leaves the role to other active grants: it ends this grant's record, unverified. */
  async finishRetained(job: Job, retainedBy: readonly string[], now: Date): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const updated = rowsOf(
        await tx.query(
          `UPDATE provisioning_jobs SET status = 'succeeded', lease_until = NULL, last_error = NULL, retained_by = $3,
                  last_answer = $4, updated_at = $5
            WHERE id = $1 AND status = 'running' AND attempts = $2 RETURNING 1`,
          [job.id, job.attempts, [...retainedBy], `not removed from the target: still needed by ${retainedBy.join(', ')}`, now],
        ),
      );
      if (updated.length === 0) return false;
      await this.applyToHolders(tx, job, now);
      await enqueueOutbox(tx, [outgoing(job, job.attempts, { kind: 'succeeded', verified: false, retainedBy }, now)]);
      return true;
    });
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
      if (outcome.kind === 'succeeded' && job.action === 'grant') await this.recordExpiry(tx, job, now);
      const result: JobResult =
        outcome.kind === 'succeeded'
          ? { kind: 'succeeded', verified: outcome.verified }
          : { kind: 'failed', reason: outcome.reason, verified: outcome.verified, final: next.status === 'failed' };
      await enqueueOutbox(tx, [outgoing(job, job.attempts, result, now)]);
      return true;
    });
  }

  /** A manual job becomes a ticket for people; a grant ticket is announced with ProvisioningStarted. */
  async openTicket(job: Job, ticketId: string, now: Date): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const updated = rowsOf(
        await tx.query(
          `UPDATE provisioning_jobs SET status = 'awaiting_person', lease_until = NULL, updated_at = $3
            WHERE id = $1 AND status = 'running' AND attempts = $2 RETURNING 1`,
          [job.id, job.attempts, now],
        ),
      );
      if (updated.length === 0) return false;
      await tx.query(`INSERT INTO provisioning_tickets (id, job_id, status, opened_at) VALUES ($1, $2, 'open', $3)`, [
        ticketId,
        job.id,
        now,
      ]);
      if (job.action === 'grant') await enqueueOutbox(tx, [outgoing(job, job.attempts, { kind: 'started', ticketId }, now)]);
      return true;
    });
  }

  /** The expiry the decider records for this grant (`at` of GrantSucceeded + duration), kept for its revocation. */
  private async recordExpiry(tx: EntityManager, job: Job, now: Date): Promise<void> {
    if (!job.duration) return;
    let expiresAt: string;
    try {
      expiresAt = addDuration(now.toISOString(), job.duration);
    } catch {
      return;
    }
    await tx.query(`UPDATE provisioning_jobs SET expires_at = $2 WHERE id = $1`, [job.id, expiresAt]);
  }

  async resolveTicket(ticketId: string, resolution: TicketResolution, resolver: Resolver, now: Date): Promise<ResolveOutcome> {
    return this.dataSource.transaction(async (tx) => {
      const rows: (JobRow & { ticket_status: TicketStatus })[] = await tx.query(
        `SELECT j.*, t.status AS ticket_status FROM provisioning_tickets t JOIN provisioning_jobs j ON j.id = t.job_id
          WHERE t.id = $1 FOR UPDATE OF t, j`,
        [ticketId],
      );
      const found = rows[0];
      if (!found) return { kind: 'not_found' };
      const row = { ...found, ...(await this.context(tx, found)) };
      // Separation of duties: only the resource's fulfillers (or admins) resolve it, never anyone
      // the request is about or who asked for it.
      const refusal = refusalToResolve(resolver, {
        subjectId: row.subject_id,
        requesterId: row.requester_id,
        requestedBy: row.requested_by,
        fulfillers: row.fulfillers,
      });
      if (refusal === 'own_request') return { kind: 'own_access' };
      if (refusal === 'not_fulfiller') return { kind: 'not_fulfiller' };
      if (row.ticket_status !== 'open') return { kind: 'already_resolved', status: row.ticket_status };
      const job = toJob(row);
      const comment = redactSecrets(resolution.comment);
      await tx.query(`UPDATE provisioning_tickets SET status = $2, comment = $3, resolved_by = $4, resolved_at = $5 WHERE id = $1`, [
        ticketId,
        resolution.kind,
        comment,
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
      if (resolution.kind === 'completed' && job.action === 'grant') await this.recordExpiry(tx, job, now);
      // A person's word is recorded as theirs (fulfilledBy), never as a check of the target.
      const fulfilment = { fulfilledBy: resolution.by, comment };
      const result: JobResult =
        resolution.kind === 'completed'
          ? { kind: 'succeeded', verified: false, fulfilment }
          : { kind: 'failed', reason: `fulfilment failed (${resolution.by}): ${comment}`, final: true, verified: false, fulfilment };
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

  /** Tickets the reader may resolve: all of them for admins, the items they fulfil for anyone else. */
  async listTickets(status: TicketStatus | undefined, limit: number, reader: Resolver): Promise<TicketView[]> {
    const admin = reader.roles.includes('admin');
    const rows: TicketRow[] = await this.dataSource.query(
      `${TICKET_SELECT} WHERE ($1::text IS NULL OR t.status = $1)
          AND ($3::boolean OR $4 = ANY(COALESCE(c.fulfillers, '{}')))
        ORDER BY t.opened_at, t.id LIMIT $2`,
      [status ?? null, limit, admin, reader.id],
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
          `INSERT INTO provisioning_active_grants (connector, target, subject_id, grant_id, request_id, granted_at, access_role, role)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
          [job.connector, job.target, job.subject.id, job.grantId, job.requestId, now, job.accessRole, job.role],
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
  resource_id: string | null;
  role: string | null;
  duration: string | null;
  expires_at: Date | null;
  break_glass: boolean;
  revocation_reason: string | null;
  justification: string | null;
  request_ticket: string | null;
  requester_id: string | null;
  fulfillers: string[] | null;
}

const TICKET_SELECT = `SELECT t.id, t.status, t.comment, t.resolved_by, t.opened_at, t.resolved_at,
  j.action, j.request_id, j.item_id, j.grant_id, j.target, j.subject_id, j.subject_kind,
  j.resource_id, j.role, j.duration, j.expires_at, j.break_glass, j.revocation_reason,
  c.justification, c.ticket AS request_ticket, c.requester_id, c.fulfillers
  FROM provisioning_tickets t JOIN provisioning_jobs j ON j.id = t.job_id
  LEFT JOIN provisioning_request_items c ON c.request_id = j.request_id AND c.item_id = j.item_id`;

const toTicketView = (r: TicketRow): TicketView => ({
  id: r.id,
  status: r.status,
  action: r.action,
  requestId: r.request_id,
  itemId: r.item_id,
  grantId: r.grant_id,
  target: r.target,
  subject: { id: r.subject_id, kind: r.subject_kind },
  resourceId: r.resource_id,
  role: r.role,
  duration: r.duration,
  expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
  breakGlass: r.break_glass,
  justification: r.justification,
  requestTicket: r.request_ticket,
  requesterId: r.requester_id,
  revocationReason: r.revocation_reason,
  requestPath: `/v1/access-requests/${encodeURIComponent(r.request_id)}`,
  fulfillers: r.fulfillers ?? [],
  comment: r.comment,
  resolvedBy: r.resolved_by,
  openedAt: new Date(r.opened_at).toISOString(),
  resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
});
