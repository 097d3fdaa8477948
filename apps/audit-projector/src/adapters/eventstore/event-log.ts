import { FORWARDS, START, type EventStoreDBClient } from '@eventstore/db-client';
import { ACCESS_REQUEST_STREAM_PREFIX } from '@kairos/contracts';
import { categoryEventOf, type CategoryEvent, type LogPosition } from '@kairos/event-store';
import type { EventLog, EventPage } from '../../use-cases/replay/replay';

/** Records per read of `$all` (every stream; the request streams are picked here). */
const PAGE = 4_000;

const after = (a: LogPosition, b: LogPosition) => a.commit > b.commit || (a.commit === b.commit && a.prepare > b.prepare);

/** `$all` read in pages from the start, the request streams' JSON events kept: what a replay reads. */
export class EventStoreEventLog implements EventLog {
  constructor(
    private readonly client: EventStoreDBClient,
    /** Records per read (tests make it small to cross its edges). */
    private readonly pageSize = PAGE,
  ) {}

  /** One page of `$all` from `from` (exclusive once past the start). */
  async readPage(from: LogPosition | null): Promise<EventPage> {
    const events: CategoryEvent[] = [];
    let read = 0;
    let last: LogPosition | null = null;
    // A read from a position starts with the event at it, which the previous page ended with.
    for await (const resolved of this.client.readAll({
      fromPosition: from ?? START,
      direction: FORWARDS,
      maxCount: from ? this.pageSize + 1 : this.pageSize,
    })) {
      const e = resolved.event;
      if (from && e?.position && !after(e.position, from)) continue;
      read++;
      if (e?.position) last = e.position;
      const event = categoryEventOf(resolved);
      if (event && event.streamId.startsWith(ACCESS_REQUEST_STREAM_PREFIX)) events.push(event);
    }
    return { events, next: read < this.pageSize || !last ? null : last };
  }
}
