import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { DataSource, type EntityManager } from 'typeorm';
import { readRecordedEvent, type ReadEvent } from '@kairos/contracts';
import { accessRequestDecider, toView, type AccessRequestState } from '@kairos/access-request-domain';
import { describeFailure, parkedEventsGauge, PgCheckpointStore, projectionLagSeconds, PgParkedEvents, type CategoryEvent, type Queryable } from '@kairos/event-store';
import { ReadinessRegistry } from '@kairos/http';
import { addGaugeSource, JsonLogger, ServiceMetrics } from '@kairos/observability';
import { escapeTextForPostgres, isTransientDatabaseError, restoreFromPostgres, toPostgresJson } from '@kairos/persistence';
import { requestIdOf, streamName } from '../access-requests/access-request.store';
import { CategorySubscriber } from '../shared/category-subscriber';

export const READ_MODEL_SUBSCRIPTION = 'request-read-model';
const SUBSCRIPTION = READ_MODEL_SUBSCRIPTION;

/** Runs `work` in a savepoint: its failure is returned (and undone) unless it is a database outage. */
async function storedOrFailure(tx: Queryable, name: string, work: () => Promise<void>): Promise<unknown> {
  await tx.query(`SAVEPOINT ${name}`);
  try {
    await work();
    await tx.query(`RELEASE SAVEPOINT ${name}`);
    return undefined;
  } catch (error) {
    if (isTransientDatabaseError(error)) throw error;
    await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
    return error;
  }
}

/**
 * The list and detail queries' read model, folded from the request streams. The position is saved
 * in the same transaction as the rows, so replaying an event is harmless.
 *
 * No event can stall it: text PostgreSQL refuses (NUL, lone surrogates) is stored escaped, and
 * whatever part of an event still cannot be stored (its history row, its effect on the request)
 * is parked in `parked_events` with the error while the rest is stored; a database outage blocks
 * and retries instead.
 */
@Injectable()
export class RequestProjection implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly subscriber: CategorySubscriber;
  readonly parked: PgParkedEvents;
  private readonly gauge;

  constructor(
    @Inject(EventStoreDBClient) client: EventStoreDBClient,
    private readonly dataSource: DataSource,
    private readonly logger: JsonLogger,
    readiness: ReadinessRegistry,
    metrics: ServiceMetrics,
  ) {
    const schema = dataSource.driver.schema ?? 'public';
    const checkpoints = new PgCheckpointStore(dataSource, schema);
    this.parked = new PgParkedEvents(dataSource, schema);
    this.gauge = parkedEventsGauge(metrics.registry);
    this.subscriber = new CategorySubscriber(client, checkpoints, SUBSCRIPTION, (event) => this.apply(event), logger, {
      parked: this.parked,
      db: dataSource,
      onParked: () => void this.countParked(),
    });
    readiness.register('read-model-subscription', async () => this.subscriber.assertRunning());
    addGaugeSource(metrics.registry, 'projectionLag', async (set) =>
      set({ projection: SUBSCRIPTION }, await projectionLagSeconds(client, 'access-request', await checkpoints.load(SUBSCRIPTION), new Date())),
    );
  }

  onApplicationBootstrap(): void {
    this.subscriber.start();
    void this.countParked();
  }

  private async countParked(): Promise<void> {
    try {
      this.gauge.set({ subscription: SUBSCRIPTION }, await this.parked.count(SUBSCRIPTION));
    } catch {
      // The gauge catches up at the next park; the database being down shows elsewhere.
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber.stop();
  }

  /** Whether an event of the request was parked: its view may never appear. */
  async isParked(requestId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.parked.table} WHERE subscription_id = $1 AND stream = $2 LIMIT 1`, [
      SUBSCRIPTION,
      escapeTextForPostgres(streamName(requestId)),
    ]);
    return rows.length > 0;
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
    // Every reader reads the current shape: older versions are upcast first.
    let read: ReadEvent | undefined;
    let unreadable: unknown;
    try {
      read = readRecordedEvent(event);
    } catch (error) {
      unreadable = error;
    }
    let parkedBecause: unknown;
    await this.dataSource.transaction(async (tx) => {
      const requestId = escapeTextForPostgres(requestIdOf(event.streamId));
      const failures: unknown[] = unreadable ? [unreadable] : [];
      const history = await storedOrFailure(tx, 'history_row', async () => {
        await tx.query(
          `INSERT INTO access_request_history (request_id, revision, event_id, type, data, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT DO NOTHING`,
          [requestId, event.revision.toString(), event.id, escapeTextForPostgres(event.type), toPostgresJson(read ? read.data : event.data), event.created.toISOString()],
        );
      });
      if (history) failures.push(history);
      if (read) {
        const folded = await storedOrFailure(tx, 'fold', () => this.fold(tx, requestId, event.revision, read));
        if (folded) failures.push(folded);
      }
      if (failures.length > 0) {
        parkedBecause = failures.length === 1 ? failures[0] : new Error(failures.map(describeFailure).join('; '));
        await this.parked.park(tx, SUBSCRIPTION, event, parkedBecause, 1);
      }
      await this.subscriber.checkpoints.save(tx, SUBSCRIPTION, event.position);
    });
    if (parkedBecause !== undefined) {
      await this.countParked();
      this.logger.error('event parked: the read model could not store all of it; the projection went on', {
        subscription: SUBSCRIPTION,
        stream: event.streamId,
        revision: event.revision.toString(),
        eventId: event.id,
        type: event.type,
        error: describeFailure(parkedBecause),
      });
    }
  }

  private async fold(tx: EntityManager | Queryable, requestId: string, revision: bigint, event: ReadEvent): Promise<void> {
    const rows = (await tx.query('SELECT state, revision FROM access_requests WHERE request_id = $1 FOR UPDATE', [requestId])) as { state: AccessRequestState; revision: string }[];
    const current = rows[0];
    if (current && BigInt(current.revision) >= revision) return;
    // The state was stored escaped for PostgreSQL; the decider folds the original text.
    const state = accessRequestDecider.evolve(current ? restoreFromPostgres(current.state) : accessRequestDecider.initialState(), event);
    if (state.status === 'empty') return;
    const view = toView(state);
    if (!view) return;
    await tx.query(
      `INSERT INTO access_requests (request_id, requester_id, requested_by, status, resource_ids, requested_at, revision, state, view, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (request_id) DO UPDATE SET status = EXCLUDED.status, revision = EXCLUDED.revision, state = EXCLUDED.state, view = EXCLUDED.view, updated_at = now()`,
      [
        requestId,
        escapeTextForPostgres(view.requester.id),
        escapeTextForPostgres(view.requestedBy),
        view.status,
        view.items.map((i) => escapeTextForPostgres(i.resourceId)),
        view.requestedAt,
        revision.toString(),
        toPostgresJson(state),
        toPostgresJson(view),
      ],
    );
  }
}
