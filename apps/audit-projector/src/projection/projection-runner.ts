import type { EventStoreDBClient } from '@eventstore/db-client';
import { parkingHandler, PgCheckpointStore, PgParkedEvents, subscribeToCategory, type CategoryEvent, type LogPosition, type ParkingLog } from '@kairos/event-store';
import type { DataSource } from 'typeorm';
import type { AuditTables } from './audit-schema';
import { projectEvent } from './project-event';

export const AUDIT_CATEGORY = 'access-request';
export const LIVE_SUBSCRIPTION = 'audit-projector';

export interface ProjectionRunnerOptions {
  readonly client: EventStoreDBClient;
  readonly dataSource: DataSource;
  readonly tables: AuditTables;
  readonly subscriptionId: string;
  readonly onError?: (error: unknown) => void;
  /** Runs inside the transaction after the rows are written, before the commit (a fault-injection seam for tests). */
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
 * Keeps a projection up to date with the request streams. Each event and its checkpoint commit in
 * one transaction, so after a crash the subscription resumes exactly after the last committed event.
 *
 * One event never stalls it: what the read models refuse is parked by `projectEvent`, and an event
 * that cannot be recorded at all (while the database answers) is parked by `parkingHandler` after
 * a few tries. A database outage stops the subscription, which resumes from its checkpoint.
 */
export class ProjectionRunner {
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private readonly checkpoints: PgCheckpointStore;
  readonly parked: PgParkedEvents;
  private readonly handler: (event: CategoryEvent) => Promise<void>;
  private caughtUp = false;
  handled = 0;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.checkpoints = new PgCheckpointStore(options.dataSource, options.tables.schema);
    this.parked = new PgParkedEvents(options.dataSource, options.tables.schema);
    this.handler = parkingHandler((event) => this.handle(event), {
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

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  checkpoint(): Promise<LogPosition | null> {
    return this.checkpoints.load(this.options.subscriptionId);
  }

  /** Follows the streams until told to stop; a failure (store or database down) is retried from the checkpoint. */
  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await subscribeToCategory({
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

  private async handle(event: CategoryEvent): Promise<void> {
    const outcome = await this.options.dataSource.transaction(async (tx) => {
      const projected = await projectEvent(tx, this.options.tables, event, this.options.subscriptionId);
      await this.checkpoints.save(tx, this.options.subscriptionId, event.position);
      await this.options.beforeCommit?.(event);
      return projected;
    });
    this.handled++;
    if (outcome === 'parked') {
      this.options.log?.error('event parked: the audit read models refused it; it stays in the timeline as malformed', {
        subscription: this.options.subscriptionId,
        stream: event.streamId,
        revision: event.revision.toString(),
        eventId: event.id,
        type: event.type,
      });
      this.options.onParked?.(event);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
