import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { LendableApproval } from '@kairos/access-request-domain';
import type { StoredVote } from '../../domain/pending-votes';
import { isOpen, type Request } from '../../domain/request-state';
import type { RequestCopyTransaction } from '../../use-cases/record-request-event/ports';

/** The copy of requests (the request domain's own state as JSON), local votes and lent approvals. */
@Injectable()
export class RequestViewsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** The copy as the event consumer changes it, inside the transaction that receives the event. */
  inTransaction(tx: EntityManager): RequestCopyTransaction {
    return {
      loadForUpdate: (requestId) => this.load(tx, requestId, true),
      save: (request) => this.save(tx, request),
      setLentApproval: (requestId, itemId, approval) => this.setLentApproval(tx, requestId, itemId, approval),
    };
  }

  async load(tx: EntityManager, requestId: string, lock = false): Promise<Request | undefined> {
    const rows: { data: Request }[] = await tx.query(
      `SELECT data FROM request_states WHERE request_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [requestId],
    );
    return rows[0]?.data;
  }

  async save(tx: EntityManager, request: Request): Promise<void> {
    await tx.query(
      `INSERT INTO request_states (request_id, requester_id, requested_at, open, data) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (request_id) DO UPDATE SET open = EXCLUDED.open, data = EXCLUDED.data`,
      [request.requestId, request.requester.id, request.requestedAt, isOpen(request), JSON.stringify(request)],
    );
  }

  async open(): Promise<Request[]> {
    const rows: { data: Request }[] = await this.dataSource.query('SELECT data FROM request_states WHERE open ORDER BY requested_at');
    return rows.map((row) => row.data);
  }

  /** The requester's earlier requests that had an item on one of these resources, newest first. */
  async history(requesterId: string, resourceIds: readonly string[], limit = 50): Promise<Request[]> {
    const rows: { data: Request }[] = await this.dataSource.query(
      `SELECT data FROM request_states
       WHERE requester_id = $1 AND EXISTS (SELECT 1 FROM jsonb_array_elements(data->'items') item WHERE item->>'resourceId' = ANY($2))
       ORDER BY requested_at DESC LIMIT $3`,
      [requesterId, [...resourceIds], limit],
    );
    return rows.map((row) => row.data);
  }

  /** The requester's requests with an item not yet ended (waiting, being granted or active), oldest first. */
  async unfinished(requesterId: string, terminalStatuses: readonly string[], limit = 500): Promise<Request[]> {
    const rows: { data: Request }[] = await this.dataSource.query(
      `SELECT data FROM request_states
       WHERE requester_id = $1 AND EXISTS (SELECT 1 FROM jsonb_array_elements(data->'items') item WHERE NOT (item->>'status' = ANY($2)))
       ORDER BY requested_at LIMIT $3`,
      [requesterId, [...terminalStatuses], limit],
    );
    return rows.map((row) => row.data);
  }

  async votes(requestIds: readonly string[], manager: EntityManager = this.dataSource.manager): Promise<StoredVote[]> {
    const rows: {
      request_id: string;
      item_id: string;
      round: string;
      reviewer_id: string;
      review_id: string;
      decision: 'approve' | 'deny';
      submitted_at: Date;
    }[] = await manager.query('SELECT * FROM review_votes WHERE request_id = ANY($1)', [[...requestIds]]);
    return rows.map((row) => ({
      requestId: row.request_id,
      itemId: row.item_id,
      round: row.round,
      reviewerId: row.reviewer_id,
      reviewId: row.review_id,
      decision: row.decision,
      submittedAt: row.submitted_at.toISOString(),
    }));
  }

  /** False when this person already voted in this round (the primary key says so, even under a race). */
  async recordVote(tx: EntityManager, vote: StoredVote): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO review_votes (request_id, item_id, round, reviewer_id, review_id, decision, submitted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1`,
      [vote.requestId, vote.itemId, vote.round, vote.reviewerId, vote.reviewId, vote.decision, vote.submittedAt],
    );
    return rows.length > 0;
  }

  /** Keeps the lent approval of one item in step with `lendableApproval` (undefined removes it). */
  async setLentApproval(tx: EntityManager, requestId: string, itemId: string, approval: LendableApproval | undefined): Promise<void> {
    if (!approval) {
      await tx.query('DELETE FROM prior_approvals WHERE request_id = $1 AND item_id = $2', [requestId, itemId]);
      return;
    }
    await tx.query(
      `INSERT INTO prior_approvals (request_id, item_id, identity_id, resource_id, role, approval_expires_at, approved_duration)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (request_id, item_id) DO UPDATE SET approval_expires_at = EXCLUDED.approval_expires_at, approved_duration = EXCLUDED.approved_duration`,
      [requestId, itemId, approval.identityId, approval.resourceId, approval.role, approval.approvalExpiresAt, approval.approvedDuration],
    );
  }

  async priorApprovals(identityId: string, now: Date): Promise<LendableApproval[]> {
    const rows: {
      request_id: string;
      item_id: string;
      identity_id: string;
      resource_id: string;
      role: string;
      approval_expires_at: Date;
      approved_duration: string;
    }[] = await this.dataSource.query('SELECT * FROM prior_approvals WHERE identity_id = $1 AND approval_expires_at > $2', [
      identityId,
      now,
    ]);
    return rows.map((row) => ({
      requestId: row.request_id,
      itemId: row.item_id,
      identityId: row.identity_id,
      resourceId: row.resource_id,
      role: row.role,
      approvalExpiresAt: row.approval_expires_at.toISOString(),
      approvedDuration: row.approved_duration,
    }));
  }
}
