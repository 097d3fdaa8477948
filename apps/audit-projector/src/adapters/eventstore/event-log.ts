import type { EventStoreDBClient } from '@eventstore/db-client';
import { ACCESS_REQUEST_STREAM_PREFIX } from '@kairos/contracts';
import type { CategoryEvent, LogPosition } from '@kairos/event-store';
import type { EventLog, EventPage } from '../../use-cases/replay/replay';
import { readAllRaw } from './read-all-wire';

/** Records per read of `$all` (every stream; the request streams are picked here). */
const PAGE = 4_000;

const after = (a: LogPosition, b: LogPosition) => a.commit > b.commit || (a.commit === b.commit && a.prepare > b.prepare);
const isRequestStream = (streamId: string) => streamId.startsWith(ACCESS_REQUEST_STREAM_PREFIX);

/**
 * `$all` read in pages from the start, the request streams' JSON events kept: what a replay reads.
 * Each page is one read whose answers are decoded from their bytes (read-all-wire.ts), only the kept
 * events' JSON parsed.
 */
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
    for (const record of await readAllRaw(this.client, from, from ? this.pageSize + 1 : this.pageSize, isRequestStream)) {
      if (from && record.position && !after(record.position, from)) continue;
      read++;
      if (record.position) last = record.position;
      if (record.event) events.push(record.event);
    }
    return { events, next: read < this.pageSize || !last ? null : last };
  }
}
