import type { EventStoreDBClient } from '@eventstore/db-client';
import { PgCheckpointStore, subscribeToCategory, type CategoryEvent, type LogPosition } from '@kairos/event-store';
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
}

/**
 * Keeps a projection up to date with the request streams. Each event and its checkpoint commit in
 * one transaction, so after a crash the subscription resumes exactly after the last committed event.
 */
export class ProjectionRunner {
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private readonly checkpoints: PgCheckpointStore;
  private caughtUp = false;
  handled = 0;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.checkpoints = new PgCheckpointStore(options.dataSource, options.tables.schema);
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
          handler: (event) => this.handle(event),
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
    await this.options.dataSource.transaction(async (tx) => {
      await projectEvent(tx, this.options.tables, event);
      await this.checkpoints.save(tx, this.options.subscriptionId, event.position);
      await this.options.beforeCommit?.(event);
    });
    this.handled++;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
