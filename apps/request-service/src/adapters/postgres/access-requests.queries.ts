import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AccessRequestView } from '@kairos/access-request-domain';
import type { HistoryEntry, RequestReadModel } from '../../use-cases/get-request/ports';
import type { ListFilter, RequestList } from '../../use-cases/list-requests/ports';

/** Reads the PostgreSQL read model (written by the request projection); never replays streams. */
@Injectable()
export class AccessRequestQueries implements RequestReadModel, RequestList {
  constructor(private readonly dataSource: DataSource) {}

  async find(requestId: string): Promise<{ view: AccessRequestView; revision: bigint } | undefined> {
    const rows: { view: AccessRequestView; revision: string }[] = await this.dataSource.query(
      'SELECT view, revision FROM access_requests WHERE request_id = $1',
      [requestId],
    );
    return rows[0] ? { view: rows[0].view, revision: BigInt(rows[0].revision) } : undefined;
  }

  async history(requestId: string): Promise<HistoryEntry[]> {
    const rows: { event_id: string; revision: string; type: string; recorded_at: Date; data: unknown }[] = await this.dataSource.query(
      'SELECT event_id, revision, type, recorded_at, data FROM access_request_history WHERE request_id = $1 ORDER BY revision',
      [requestId],
    );
    return rows.map((r) => ({ eventId: r.event_id, revision: Number(r.revision), type: r.type, recordedAt: r.recorded_at.toISOString(), data: r.data }));
  }

  async list(filter: ListFilter): Promise<{ items: AccessRequestView[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.requester) where.push(`requester_id = $${params.push(filter.requester)}`);
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.resource) where.push(`$${params.push(filter.resource)} = ANY(resource_ids)`);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ count }] = await this.dataSource.query(`SELECT count(*)::int AS count FROM access_requests ${clause}`, params);
    const rows: { view: AccessRequestView }[] = await this.dataSource.query(
      `SELECT view FROM access_requests ${clause} ORDER BY requested_at DESC, request_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, filter.limit, filter.offset],
    );
    return { items: rows.map((r) => r.view), total: count };
  }
}
