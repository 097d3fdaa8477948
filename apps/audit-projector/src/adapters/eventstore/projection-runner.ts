import type { EventStoreDBClient } from '@eventstore/db-client';
import { batchedProjection, PgCheckpointStore, PgParkedEvents, subscribeToCategoryInBatches, type AfterCommit, type CategoryEvent, type LogPosition, type ParkingLog, type Queryable } from '@kairos/event-store';
import type { DataSource } from 'typeorm';
import type { AuditTables } from '../postgres/audit-schema';
import { projectEventIn } from '../postgres/projection-store';

export const AUDIT_CATEGORY = 'access-request';
export const LIVE_SUBSCRIPTION = 'audit-projector';

export interface ProjectionRunnerOptions {
  readonly client: EventStoreDBClient;
  readonly dataSource: DataSource;
  readonly tables: AuditTables;
  readonly subscriptionId: string;
  readonly onError?: (error: unknown) => void;
  /** Runs inside the transaction after the event's rows are written, before the run's commit (a fault-injection seam for tests). */
  readonly beforeCommit?: (event: CategoryEvent) => Promise<void> | void;
  readonly retryDelayMs?: number;
  /** Where a parked event is told (an error line); the runner goes on either way. */
  readonly log?: ParkingLog;
  /** Called after an event was parked (the read models refused it, or it could not be recorded at all). */
  readonly onParked?: (event: CategoryEvent) => void;
  /** Tries of an event whose recording fails while the database answers, before it is parked. Default 3. */
  readonly maxAttempts?: number;
}

/**
 * Keeps a projection up to date with the request streams. Events come in runs (what the
 * subscription holds when the last run committed); a run and the checkpoint of its last event
 * commit in one transaction, so after a crash the subscription resumes exactly after the last
 * committed run.
 *
 * One event never stalls it: what the read models refuse is parked by `projectEvent` inside the
 * run (the project-event use case), and an event that cannot be recorded at all (while the database answers) is parked by
 * `batchedProjection` after a few tries, the rest of its run written without it. A database
 * outage stops the subscription, which resumes from its checkpoint.
 */
export class ProjectionRunner {
  private abort = new AbortController();
  private running: Promise<void> | null = null;
  private readonly checkpoints: PgCheckpointStore;
  readonly parked: PgParkedEvents;
  private readonly handler: (events: readonly CategoryEvent[]) => Promise<void>;
  private caughtUp = false;
  handled = 0;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.checkpoints = new PgCheckpointStore(options.dataSource, options.tables.schema);
    this.parked = new PgParkedEvents(options.dataSource, options.tables.schema);
    this.handler = batchedProjection((tx, event) => this.handle(tx, event), {
      db: options.dataSource,
      parked: this.parked,
      subscriptionId: options.subscriptionId,
      transaction: (work) => options.dataSource.transaction((tx) => work(tx)),
      saveCheckpoint: (tx, event) => this.checkpoints.save(tx, options.subscriptionId, event.position),
      log: options.log,
      maxAttempts: options.maxAttempts,
      onParked: (event) => {
        this.handled++;
        options.onParked?.(event);
      },
    });
  }

  get isCaughtUp(): boolean {
    return this.caughtUp;
  }

  /** Starts following (again, after a stop: a replica that becomes the active one). */
  start(): void {
    if (this.running) return;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.running = null;
    this.caughtUp = false;
  }

  checkpoint(): Promise<LogPosition | null> {
    return this.checkpoints.load(this.options.subscriptionId);
  }

  /** Follows the streams until told to stop; a failure (store or database down) is retried from the checkpoint. */
  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await subscribeToCategoryInBatches({
          client: this.options.client,
          category: AUDIT_CATEGORY,
          fromPosition: await this.checkpoint(),
          handler: this.handler,
          signal,
          onCaughtUp: () => {
            this.caughtUp = true;
          },
        });
      } catch (error) {
        this.caughtUp = false;
        if (signal.aborted) return;
        this.options.onError?.(error);
        await sleep(this.options.retryDelayMs ?? 1_000, signal);
      }
    }
  }

  /** One event's rows in the run's transaction; counted (and a parked one told) once the run committed. */
  private async handle(tx: Queryable, event: CategoryEvent): Promise<AfterCommit> {
    const outcome = await projectEventIn(tx, this.options.tables, event, this.options.subscriptionId);
    await this.options.beforeCommit?.(event);
    return () => {
      this.handled++;
      if (outcome !== 'parked') return;
      this.options.log?.error('event parked: the audit read models refused it; it stays in the timeline as malformed', {
        subscription: this.options.subscriptionId,
        stream: event.streamId,
        revision: event.revision.toString(),
        eventId: event.id,
        type: event.type,
      });
      this.options.onParked?.(event);
    };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
