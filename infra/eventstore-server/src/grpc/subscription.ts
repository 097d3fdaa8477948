import { randomUUID } from 'node:crypto';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { EventStore } from '../storage/event-store';
import type { EventRecord } from '../storage/event-record';
import { send } from './call-writer';
import { streamDeleted } from './protocol-error';
import type { LinkResolver, ReadCall } from './read';
import type { EventFilter, ReadRequest } from './read-request';
import { encodeEventResponse } from './wire';

/**
 * A catch-up subscription. A stream subscription catches up through the same read a client gets
 * (so `$maxCount`, `$maxAge`, `$tb` and soft deletes hide the same events), then delivers every
 * event committed after what it has seen. A `$all` subscription is one cursor over the durable log.
 * Either way catch-up and live are one loop, so the switch can neither skip nor repeat a record,
 * and a slow reader is paced by gRPC flow control instead of a buffer.
 */
export async function runSubscription(store: EventStore, call: ReadCall, request: ReadRequest, resolve: LinkResolver): Promise<void> {
  let wake: (() => void) | null = null;
  let dirty = false;
  const signal = (): void => {
    dirty = true;
    const w = wake;
    wake = null;
    w?.();
  };
  const unlisten = store.onPublish(signal);
  call.on('cancelled', signal);
  call.on('close', signal);
  try {
    const cursor = request.source === 'stream' ? streamCursor(store, request.stream, request.from) : allCursor(store, request);
    const stream = request.source === 'stream' ? request.stream : '$all';
    if (cursor.tombstone()) throw streamDeleted(stream);
    const confirmation = new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
    if (!(await send(call, new ReadResp().setConfirmation(confirmation)))) return;
    let caughtUp = false;
    while (!call.cancelled && !call.writableEnded) {
      dirty = false;
      for (const record of cursor.batch()) {
        if (cursor.matches(record) && !(await send(call, encodeEventResponse(record, resolve(record))))) return;
        const checkpoint = cursor.checkpointAfter(record);
        if (checkpoint !== null && !(await send(call, checkpointResponse(checkpoint)))) return;
      }
      const tombstone = cursor.tombstone();
      if (tombstone) {
        if (!(await send(call, encodeEventResponse(tombstone, undefined)))) return;
        throw streamDeleted(stream);
      }
      if (!caughtUp) {
        caughtUp = true;
        cursor.caughtUp();
        const checkpoint = cursor.catchUpCheckpoint();
        if (checkpoint !== null && !(await send(call, checkpointResponse(checkpoint)))) return;
        if (!(await send(call, new ReadResp().setCaughtUp(new ReadResp.CaughtUp())))) return;
      }
      if (!dirty && !call.cancelled && !call.writableEnded) await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    unlisten();
    call.removeListener('cancelled', signal);
    call.removeListener('close', signal);
  }
}

interface Cursor {
  /** The records visible now that this cursor has not returned yet. */
  batch(): Iterable<EventRecord>;
  caughtUp(): void;
  matches(record: EventRecord): boolean;
  /** A checkpoint position due after considering this record, if any. */
  checkpointAfter(record: EventRecord): number | null;
  catchUpCheckpoint(): number | null;
  tombstone(): EventRecord | null;
}

function streamCursor(store: EventStore, stream: string, from: ReadRequest['from']): Cursor {
  // The next revision to deliver; history below it is never sent again.
  let next = from.kind === 'end' ? store.lastVisibleRevision(stream) + 1 : from.kind === 'revision' ? Number(from.revision) + 1 : 0;
  let live = from.kind === 'end';
  return {
    *batch() {
      if (!live) {
        // Catch-up reads exactly what a read from here returns, retention and deletes applied.
        const read = store.readStream(stream, { kind: 'revision', revision: BigInt(next) }, false, Number.MAX_SAFE_INTEGER);
        if (read.kind !== 'events') return;
        for (const record of read.records) {
          next = record.revision + 1;
          yield record;
        }
        next = Math.max(next, read.last + 1);
        return;
      }
      for (const record of store.recordsFrom(stream, next)) {
        next = record.revision + 1;
        yield record;
      }
    },
    caughtUp: () => {
      live = true;
    },
    matches: () => true,
    checkpointAfter: () => null,
    catchUpCheckpoint: () => null,
    tombstone: () => store.visibleTombstone(stream),
  };
}

function allCursor(store: EventStore, request: Extract<ReadRequest, { source: 'all' }>): Cursor {
  const from = request.from;
  // Exclusive of the start point: from position P, the first record after P.
  let position = from.kind === 'start' ? store.boundaryAtOrAfter(0n) : from.kind === 'end' ? store.visibleEnd : store.boundaryAtOrAfter(from.position + 1n);
  const filter: EventFilter | null = request.filter;
  let considered = 0;
  let lastConsidered: number | null = null;
  const startPosition = from.kind === 'position' ? Number(from.position) : store.lastVisiblePosition();
  return {
    *batch() {
      while (position < store.visibleEnd) {
        const { record, next } = store.frameAt(position);
        position = next;
        yield record;
      }
    },
    caughtUp: () => undefined,
    matches: (record) => !filter || filter.matches(filter.on === 'stream' ? record.stream : record.type),
    checkpointAfter: (record) => {
      if (!filter) return null;
      lastConsidered = record.position;
      considered++;
      return considered % filter.checkpointInterval === 0 ? record.position : null;
    },
    catchUpCheckpoint: () => (filter ? (lastConsidered ?? startPosition) : null),
    tombstone: () => null,
  };
}

function checkpointResponse(position: number): ReadResp {
  const checkpoint = new ReadResp.Checkpoint().setCommitPosition(String(position)).setPreparePosition(String(position));
  return new ReadResp().setCheckpoint(checkpoint);
}
