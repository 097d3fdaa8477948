import type { EventStoreDBClient } from '@eventstore/db-client';
import { subscribeToCategoryInBatches, type CategoryEvent, type PgCheckpointStore } from '@kairos/event-store';
import type { JsonLogger } from '@kairos/observability';

const CATEGORY = 'access-request';

/**
 * Keeps one checkpointed subscription to the request streams alive: resumes from the stored
 * position after an error or a server restart. Events come in runs (whatever the subscription has
 * received when the handler is free, `subscribeToCategoryInBatches`), in log order; a projection
 * writes a run in one transaction, and parks a poison event of it (`batchedProjection`).
 */
export class CategorySubscriber {
  private controller?: AbortController;
  private loop?: Promise<void>;
  private lastError?: Error;

  constructor(
    private readonly client: EventStoreDBClient,
    readonly checkpoints: PgCheckpointStore,
    private readonly subscriptionId: string,
    private readonly handler: (events: readonly CategoryEvent[]) => Promise<void>,
    private readonly logger: JsonLogger,
  ) {}

  start(): void {
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        try {
          const from = await this.checkpoints.load(this.subscriptionId);
          await subscribeToCategoryInBatches({
            client: this.client,
            category: CATEGORY,
            fromPosition: from,
            signal,
            handler: async (events) => {
              await this.handler(events);
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
