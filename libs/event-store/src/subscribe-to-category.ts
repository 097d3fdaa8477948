import { START, streamNameFilter, type EventStoreDBClient, type JSONType, type ResolvedEvent } from '@eventstore/db-client';
import type { LogPosition } from './domain-event';

export interface CategoryEvent {
  readonly id: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: JSONType;
  readonly metadata: JSONType | undefined;
  readonly created: Date;
  /** Save it with the handler's own writes; resume later with `fromPosition` (exclusive). */
  readonly position: LogPosition;
}

export interface CategorySubscription {
  readonly client: EventStoreDBClient;
  readonly category: string;
  /** The last position handled; null or undefined starts at the beginning. */
  readonly fromPosition?: LogPosition | null;
  readonly signal?: AbortSignal;
  readonly onCaughtUp?: () => void;
}

/** A recorded JSON event with its log position as a `CategoryEvent`; undefined for anything else (links, binary). */
export function categoryEventOf(resolved: ResolvedEvent): CategoryEvent | undefined {
  const event = resolved.event;
  if (!event || !event.isJson || !event.position) return undefined;
  return {
    id: event.id,
    streamId: event.streamId,
    revision: event.revision,
    type: event.type,
    data: event.data as JSONType,
    metadata: event.metadata as JSONType | undefined,
    created: event.created,
    position: event.position,
  };
}

/** The most events handed to a batch handler at once (default of `maxBatch`). */
export const DEFAULT_MAX_BATCH = 256;

/**
 * Delivers every event of the streams `<category>-*` in log order, one at a time: the next event
 * waits for the handler. Resolves when `signal` aborts; rejects if the handler or the subscription fails.
 */
export async function subscribeToCategory(options: CategorySubscription & { readonly handler: (event: CategoryEvent) => Promise<void> | void }): Promise<void> {
  const { handler } = options;
  await subscribeToCategoryInBatches({
    ...options,
    handler: async (events) => {
      for (const event of events) {
        await handler(event);
        if (options.signal?.aborted) return;
      }
    },
  });
}

/**
 * Delivers every event of the streams `<category>-*` in log order, in runs: each call gets the
 * events that had arrived when the previous call returned (at least one, at most `maxBatch`), so a
 * projection writes a run in one transaction. Nothing waits for a run to fill: a lone event is
 * handed over at once (the run is whatever the subscription has already received), so batching
 * costs no latency and grows only when events arrive faster than the handler takes them.
 */
export async function subscribeToCategoryInBatches(
  options: CategorySubscription & { readonly handler: (events: readonly CategoryEvent[]) => Promise<void> | void; readonly maxBatch?: number },
): Promise<void> {
  const { client, category, handler, signal } = options;
  // KAIROS_PROJECTION_BATCH=1 brings back one event per transaction (to measure the difference).
  const maxBatch = Math.max(1, options.maxBatch ?? (Number(process.env.KAIROS_PROJECTION_BATCH) || DEFAULT_MAX_BATCH));
  if (signal?.aborted) return;
  const subscription = client.subscribeToAll(
    {
      fromPosition: options.fromPosition ? { commit: options.fromPosition.commit, prepare: options.fromPosition.prepare } : START,
      filter: streamNameFilter({ prefixes: [`${category}-`] }),
    },
    // The client's stream holds 16 events by default: a run could never be longer than that.
    { highWaterMark: maxBatch },
  );
  if (options.onCaughtUp) subscription.on('caughtUp', options.onCaughtUp);
  const STOPPED = Symbol('stopped');
  const NOT_YET = Symbol('not yet');
  const stopped = new Promise<typeof STOPPED>((resolve) => signal?.addEventListener('abort', () => resolve(STOPPED), { once: true }));
  const iterator = subscription[Symbol.asyncIterator]();
  // The read in flight is kept across runs: one that did not answer before a run was handed over
  // is the first event of the next run, never lost.
  let pending: Promise<IteratorResult<ResolvedEvent>> | undefined;
  const next = () => (pending ??= iterator.next());
  try {
    for (;;) {
      const first = await Promise.race([next(), stopped]);
      pending = undefined;
      if (first === STOPPED || first.done) return;
      const run: CategoryEvent[] = [];
      let ended = false;
      const add = (resolved: ResolvedEvent) => {
        const event = categoryEventOf(resolved);
        if (event) run.push(event);
      };
      add(first.value);
      // What the subscription already holds answers within microtasks; the next turn of the event
      // loop ends the run.
      const turn = new Promise<typeof NOT_YET>((resolve) => setImmediate(() => resolve(NOT_YET)));
      while (run.length < maxBatch) {
        const more = await Promise.race([next(), turn]);
        if (more === NOT_YET) break;
        pending = undefined;
        if (more.done) {
          ended = true;
          break;
        }
        add(more.value);
      }
      if (run.length > 0) await handler(run);
      if (ended || signal?.aborted) return;
    }
  } finally {
    // Never let a server that is slow to acknowledge the cancel hold a shutdown hostage.
    await Promise.race([subscription.unsubscribe().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
    subscription.destroy();
  }
}
