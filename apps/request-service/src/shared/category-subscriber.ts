import type { EventStoreDBClient } from '@eventstore/db-client';
import type { DataSource } from 'typeorm';
import { parkingHandler, subscribeToCategory, type CategoryEvent, type PgCheckpointStore, type PgParkedEvents } from '@kairos/event-store';
import type { JsonLogger } from '@kairos/observability';

/** Where an event that cannot be stored is parked (so it never stalls the subscription). */
export interface SubscriberParking {
  readonly parked: PgParkedEvents;
  readonly db: DataSource;
  readonly onParked?: () => void;
  readonly maxAttempts?: number;
  readonly retryDelayMs?: number;
}

const CATEGORY = 'access-request';

/**
 * Keeps one checkpointed subscription to the request streams alive: resumes from the stored
 * position after an error or a server restart, one event at a time. With `parking`, an event whose
 * handling keeps failing while the database answers is parked and skipped (`parkingHandler`).
 */
export class CategorySubscriber {
  private controller?: AbortController;
  private loop?: Promise<void>;
  private lastError?: Error;

  constructor(
    private readonly client: EventStoreDBClient,
    readonly checkpoints: PgCheckpointStore,
    private readonly subscriptionId: string,
    private handler: (event: CategoryEvent) => Promise<void>,
    private readonly logger: JsonLogger,
    parking?: SubscriberParking,
  ) {
    if (parking) {
      const log = { warn: (m: string, f?: Record<string, unknown>) => logger.warn(m, f), error: (m: string, f?: Record<string, unknown>) => logger.error(m, f) };
      this.handler = parkingHandler(handler, {
        db: parking.db,
        parked: parking.parked,
        subscriptionId,
        transaction: (work) => parking.db.transaction((tx) => work(tx)),
        saveCheckpoint: (tx, event) => checkpoints.save(tx, subscriptionId, event.position),
        log,
        maxAttempts: parking.maxAttempts,
        retryDelayMs: parking.retryDelayMs,
        onParked: parking.onParked,
      });
    }
  }

  start(): void {
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        try {
          const from = await this.checkpoints.load(this.subscriptionId);
          await subscribeToCategory({
            client: this.client,
            category: CATEGORY,
            fromPosition: from,
            signal,
            handler: async (event) => {
              await this.handler(event);
              this.lastError = undefined;
            },
            onCaughtUp: () => {
              this.lastError = undefined;
            },
          });
        } catch (error) {
          if (signal.aborted) return;
          this.lastError = error as Error;
          this.logger.warn(`subscription ${this.subscriptionId} failed; resuming from its checkpoint`, { error: (error as Error).message });
        }
        if (!signal.aborted) await new Promise((r) => setTimeout(r, 500));
      }
    })();
  }

  async assertRunning(): Promise<void> {
    if (this.lastError) throw new Error(`subscription ${this.subscriptionId}: ${this.lastError.message}`);
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
  }
}
