import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { DataSource, type EntityManager } from 'typeorm';
import type { AccessRequestEvent } from '@kairos/contracts';
import { accessRequestDecider, toView, type AccessRequestState } from '@kairos/access-request-domain';
import { PgCheckpointStore, type CategoryEvent } from '@kairos/event-store';
import { ReadinessRegistry } from '@kairos/http';
import { JsonLogger } from '@kairos/observability';
import { requestIdOf } from '../access-requests/access-request.store';
import { CategorySubscriber } from '../shared/category-subscriber';

const SUBSCRIPTION = 'request-read-model';

/**
 * The list and detail queries' read model, folded from the request streams. The position is saved
 * in the same transaction as the rows, so replaying an event is harmless.
 */
@Injectable()
export class RequestProjection implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly subscriber: CategorySubscriber;

  constructor(
    @Inject(EventStoreDBClient) client: EventStoreDBClient,
    private readonly dataSource: DataSource,
    logger: JsonLogger,
    readiness: ReadinessRegistry,
  ) {
    const checkpoints = new PgCheckpointStore(dataSource, dataSource.driver.schema ?? 'public');
    this.subscriber = new CategorySubscriber(client, checkpoints, SUBSCRIPTION, (event) => this.apply(event), logger);
    readiness.register('read-model-subscription', async () => this.subscriber.assertRunning());
  }

  onApplicationBootstrap(): void {
    this.subscriber.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber.stop();
  }

  /** Resolves once the read model has seen `revision` of the request (read-your-writes for the API). */
  async waitFor(requestId: string, revision: bigint, timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const rows: { revision: string }[] = await this.dataSource.query('SELECT revision FROM access_requests WHERE request_id = $1', [requestId]);
      if (rows[0] && BigInt(rows[0].revision) >= revision) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async apply(event: CategoryEvent): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const requestId = requestIdOf(event.streamId);
      await tx.query(
        `INSERT INTO access_request_history (request_id, revision, event_id, type, data, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING`,
        [requestId, event.revision.toString(), event.id, event.type, JSON.stringify(event.data), event.created.toISOString()],
      );
      await this.fold(tx, requestId, event);
      await this.subscriber.checkpoints.save(tx, SUBSCRIPTION, event.position);
    });
  }

  private async fold(tx: EntityManager, requestId: string, event: CategoryEvent): Promise<void> {
    const rows: { state: AccessRequestState; revision: string }[] = await tx.query('SELECT state, revision FROM access_requests WHERE request_id = $1 FOR UPDATE', [requestId]);
    const current = rows[0];
    if (current && BigInt(current.revision) >= event.revision) return;
    const state = accessRequestDecider.evolve(current?.state ?? accessRequestDecider.initialState(), event as unknown as AccessRequestEvent);
    if (state.status === 'empty') return;
    const view = toView(state);
    if (!view) return;
    await tx.query(
      `INSERT INTO access_requests (request_id, requester_id, requested_by, status, resource_ids, requested_at, revision, state, view, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (request_id) DO UPDATE SET status = EXCLUDED.status, revision = EXCLUDED.revision, state = EXCLUDED.state, view = EXCLUDED.view, updated_at = now()`,
      [
        requestId,
        view.requester.id,
        view.requestedBy,
        view.status,
        view.items.map((i) => i.resourceId),
        view.requestedAt,
        event.revision.toString(),
        JSON.stringify(state),
        JSON.stringify(view),
      ],
    );
  }
}
