import { START, streamNameFilter, type EventStoreDBClient, type JSONType } from '@eventstore/db-client';
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

/**
 * Delivers every event of the streams `<category>-*` in log order, one at a time: the next event
 * waits for the handler. Resolves when `signal` aborts; rejects if the handler or the subscription fails.
 */
export async function subscribeToCategory(options: {
  readonly client: EventStoreDBClient;
  readonly category: string;
  /** The last position handled; null or undefined starts at the beginning. */
  readonly fromPosition?: LogPosition | null;
  readonly handler: (event: CategoryEvent) => Promise<void> | void;
  readonly signal?: AbortSignal;
  readonly onCaughtUp?: () => void;
}): Promise<void> {
  const { client, category, handler, signal } = options;
  if (signal?.aborted) return;
  const subscription = client.subscribeToAll({
    fromPosition: options.fromPosition ? { commit: options.fromPosition.commit, prepare: options.fromPosition.prepare } : START,
    filter: streamNameFilter({ prefixes: [`${category}-`] }),
  });
  if (options.onCaughtUp) subscription.on('caughtUp', options.onCaughtUp);
  const stopped = new Promise<'stopped'>((resolve) => signal?.addEventListener('abort', () => resolve('stopped'), { once: true }));
  const iterator = subscription[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), stopped]);
      if (next === 'stopped' || next.done) return;
      const event = next.value.event;
      if (!event || !event.isJson || !event.position) continue;
      await handler({
        id: event.id,
        streamId: event.streamId,
        revision: event.revision,
        type: event.type,
        data: event.data as JSONType,
        metadata: event.metadata as JSONType | undefined,
        created: event.created,
        position: event.position,
      });
      if (signal?.aborted) return;
    }
  } finally {
    // Never let a server that is slow to acknowledge the cancel hold a shutdown hostage.
    await Promise.race([subscription.unsubscribe().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
    subscription.destroy();
  }
}
