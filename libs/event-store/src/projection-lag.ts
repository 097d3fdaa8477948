import { FORWARDS, START, type EventStoreDBClient } from '@eventstore/db-client';
import type { LogPosition } from './domain-event';

const PAGE = 200;
const MAX_PAGES = 20;

const after = (a: { commit: bigint; prepare: bigint }, b: LogPosition) => a.commit > b.commit || (a.commit === b.commit && a.prepare > b.prepare);

/**
 * How far behind a checkpointed subscription to `<category>-*` is: the age in seconds of the oldest
 * event of the category past its checkpoint (the first one it has not handled), or 0 when there is
 * none. Reads the log forwards from the checkpoint a page at a time, skipping other streams; past
 * MAX_PAGES pages of other streams it answers the age of the last one read (a lower bound).
 */
export async function projectionLagSeconds(client: EventStoreDBClient, category: string, checkpoint: LogPosition | null, now: Date): Promise<number> {
  let from: LogPosition | null = checkpoint;
  let last: Date | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    // The page is read to its end (never left half-read: the call would stay open on the server).
    const events = [];
    for await (const resolved of client.readAll({ direction: FORWARDS, fromPosition: from ? { commit: from.commit, prepare: from.prepare } : START, maxCount: PAGE })) {
      if (resolved.event?.position) events.push({ streamId: resolved.event.streamId, created: resolved.event.created, position: resolved.event.position });
    }
    for (const event of events) {
      if (from && !after(event.position, from)) continue;
      if (event.streamId.startsWith(`${category}-`)) return Math.max(0, (now.getTime() - event.created.getTime()) / 1000);
      last = event.created;
      from = event.position;
    }
    if (events.length < PAGE) return 0;
  }
  return last ? Math.max(0, (now.getTime() - last.getTime()) / 1000) : 0;
}
