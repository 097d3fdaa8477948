import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { DataSource, type EntityManager } from 'typeorm';
import { readRecordedEvent, type ReadEvent } from '@kairos/contracts';
import { accessRequestDecider, toView, type AccessRequestState } from '@kairos/access-request-domain';
import { batchedProjection, describeFailure, parkedEventsGauge, PgCheckpointStore, projectionLagSeconds, PgParkedEvents, type AfterCommit, type CategoryEvent, type Queryable } from '@kairos/event-store';
import { ReadinessRegistry } from '@kairos/http';
import { addGaugeSource, JsonLogger, ServiceMetrics } from '@kairos/observability';
import { escapeTextForPostgres, isTransientDatabaseError, restoreFromPostgres, SingleActive, toPostgresJson } from '@kairos/persistence';
import type { ReadModelProgress } from '../../use-cases/get-request/ports';
import { requestIdOf, streamName } from './access-request.store';
import { CategorySubscriber } from './category-subscriber';

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
 * The list and detail queries' read model, folded from the request streams, a run of events per
 * transaction (whatever the subscription holds when the last run committed). The position is saved
 * in the same transaction as the rows, so replaying an event is harmless.
 *
 * No event can stall it: text PostgreSQL refuses (NUL, lone surrogates) is stored escaped, and
 * whatever part of an event still cannot be stored (its history row, its effect on the request)
 * is parked in `parked_events` with the error while the rest is stored; a database outage blocks
 * and retries instead.
 */
@Injectable()
export class RequestProjection implements OnApplicationBootstrap, OnApplicationShutdown, ReadModelProgress {
  private readonly subscriber: CategorySubscriber;
  readonly parked: PgParkedEvents;
  private readonly gauge;
  /** Writes a run of events (one transaction, the checkpoint with it); the subscription's handler. */
  readonly project: (events: readonly CategoryEvent[]) => Promise<void>;
  /** Readers waiting for a request to reach the read model (`waitFor`), woken after each commit. */
  private readonly waiters = new Map<string, Set<() => void>>();
  /** One replica folds the streams into the read model; the others serve it (ADR 0028). */
  readonly leadership: SingleActive;

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
    // A run of events in one transaction with its checkpoint; a poison event of the run is parked alone.
    this.project = batchedProjection((tx, event) => this.apply(tx, event), {
      db: dataSource,
      parked: this.parked,
      subscriptionId: SUBSCRIPTION,
      transaction: (work) => dataSource.transaction((tx) => work(tx)),
      saveCheckpoint: (tx, event) => checkpoints.save(tx, SUBSCRIPTION, event.position),
      log: { warn: (m, f) => logger.warn(m, f), error: (m, f) => logger.error(m, f) },
      onParked: () => void this.countParked(),
    });
    this.subscriber = new CategorySubscriber(client, checkpoints, SUBSCRIPTION, this.project, logger);
    this.leadership = new SingleActive(dataSource, {
      name: `${schema}:${SUBSCRIPTION}`,
      lead: () => this.subscriber.start(),
      stepDown: () => this.subscriber.stop(),
      log: { info: (m, f) => logger.write('info', m, f), warn: (m, f) => logger.warn(m, f) },
    });
    readiness.register('read-model-subscription', async () => {
      this.leadership.assertDecided();
      await this.subscriber.assertRunning();
    });
    addGaugeSource(metrics.registry, 'projectionLag', async (set) =>
      set({ projection: SUBSCRIPTION }, await projectionLagSeconds(client, 'access-request', await checkpoints.load(SUBSCRIPTION), new Date())),
    );
  }

  onApplicationBootstrap(): void {
    this.leadership.start();
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
    await this.leadership.stop();
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

  /**
   * Resolves once the read model has seen `revision` of the request (read-your-writes for the API).
   * Woken as soon as this process commits a run holding the request; the short poll is for a read
   * model another replica writes.
   */
  async waitFor(requestId: string, revision: bigint, timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const rows: { revision: string }[] = await this.dataSource.query('SELECT revision FROM access_requests WHERE request_id = $1', [requestId]);
      if (rows[0] && BigInt(rows[0].revision) >= revision) return;
      await new Promise<void>((resolve) => {
        const waiters = this.waiters.get(requestId) ?? new Set<() => void>();
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          if (waiters.size === 0 && this.waiters.get(requestId) === waiters) this.waiters.delete(requestId);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(50, Math.max(0, deadline - Date.now())));
        waiters.add(wake);
        this.waiters.set(requestId, waiters);
      });
    }
  }

  /** Writes one event's rows in the run's transaction; returns what to do once it committed. */
  private async apply(tx: Queryable, event: CategoryEvent): Promise<AfterCommit> {
    // Every reader reads the current shape: older versions are upcast first.
    let read: ReadEvent | undefined;
    let unreadable: unknown;
    try {
      read = readRecordedEvent(event);
    } catch (error) {
      unreadable = error;
    }
    let parkedBecause: unknown;
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
    return async () => {
      for (const wake of [...(this.waiters.get(requestIdOf(event.streamId)) ?? [])]) wake();
      if (parkedBecause === undefined) return;
      await this.countParked();
      this.logger.error('event parked: the read model could not store all of it; the projection went on', {
        subscription: SUBSCRIPTION,
        stream: event.streamId,
        revision: event.revision.toString(),
        eventId: event.id,
        type: event.type,
        error: describeFailure(parkedBecause),
      });
    };
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
