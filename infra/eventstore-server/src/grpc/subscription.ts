import { randomUUID } from 'node:crypto';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { EventStore } from '../storage/event-store';
import type { EventRecord } from '../storage/event-record';
import { send } from './call-writer';
import { streamDeleted } from './protocol-error';
import type { ReadCall } from './read';
import type { EventFilter, ReadRequest } from './read-request';
import { eventResponse } from './wire';

/**
 * A catch-up subscription is one cursor over the acknowledged log: it reads history, then keeps
 * reading as records become visible. Catch-up and live are the same loop, so the switch can neither
 * skip nor repeat a record, and a slow reader is paced by gRPC flow control instead of a buffer.
 */
export async function runSubscription(store: EventStore, call: ReadCall, request: ReadRequest): Promise<void> {
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
    if (cursor.deleted?.()) throw streamDeleted(request.source === 'stream' ? request.stream : '$all');
    const confirmation = new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
    if (!(await send(call, new ReadResp().setConfirmation(confirmation)))) return;
    let caughtUp = false;
    while (!call.cancelled) {
      dirty = false;
      for (let record = cursor.next(); record; record = cursor.next()) {
        const resolved = request.resolveLinks && record.type === '$>' ? store.resolveLink(record) : undefined;
        if (cursor.matches(record) && !(await send(call, eventResponse(record, resolved)))) return;
        const checkpoint = cursor.checkpointAfter(record);
        if (checkpoint !== null && !(await send(call, checkpointResponse(checkpoint)))) return;
      }
      if (cursor.deleted?.()) {
        const tombstone = store.streamView(request.source === 'stream' ? request.stream : '').tombstone;
        if (tombstone && !(await send(call, eventResponse(tombstone, undefined)))) return;
        throw streamDeleted(request.source === 'stream' ? request.stream : '$all');
      }
      if (!caughtUp) {
        caughtUp = true;
        const checkpoint = cursor.catchUpCheckpoint();
        if (checkpoint !== null && !(await send(call, checkpointResponse(checkpoint)))) return;
        if (!(await send(call, new ReadResp().setCaughtUp(new ReadResp.CaughtUp())))) return;
      }
      if (!dirty && !call.cancelled) await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    unlisten();
    call.removeListener('cancelled', signal);
    call.removeListener('close', signal);
  }
}

interface Cursor {
  next(): EventRecord | undefined;
  matches(record: EventRecord): boolean;
  /** A checkpoint position due after considering this record, if any. */
  checkpointAfter(record: EventRecord): number | null;
  catchUpCheckpoint(): number | null;
  deleted?(): boolean;
}

function streamCursor(store: EventStore, stream: string, from: ReadRequest['from']): Cursor {
  const initial = store.streamView(stream);
  let next = from.kind === 'start' ? 0 : from.kind === 'end' ? initial.visible : Number(from.kind === 'revision' ? from.revision : 0n) + 1;
  return {
    next: () => {
      const view = store.streamView(stream);
      return next < view.visible ? view.records[next++] : undefined;
    },
    matches: () => true,
    checkpointAfter: () => null,
    catchUpCheckpoint: () => null,
    deleted: () => store.streamView(stream).tombstone !== null,
  };
}

function allCursor(store: EventStore, request: Extract<ReadRequest, { source: 'all' }>): Cursor {
  const from = request.from;
  let index = from.kind === 'start' ? 0 : from.kind === 'end' ? store.visibleCount : store.indexFrom(from.position, true);
  const filter: EventFilter | null = request.filter;
  let considered = 0;
  let lastConsidered: number | null = null;
  const startPosition = from.kind === 'position' ? Number(from.position) : store.lastPosition;
  return {
    next: () => (index < store.visibleCount ? store.recordAt(index++) : undefined),
    matches: (record) => !filter || filter.matches(filter.on === 'stream' ? record.stream : record.type),
    checkpointAfter: (record) => {
      if (!filter) return null;
      lastConsidered = record.position;
      considered++;
      return considered % filter.checkpointInterval === 0 ? record.position : null;
    },
    catchUpCheckpoint: () => (filter ? (lastConsidered ?? startPosition) : null),
  };
}

function checkpointResponse(position: number): ReadResp {
  const checkpoint = new ReadResp.Checkpoint().setCommitPosition(String(position)).setPreparePosition(String(position));
  return new ReadResp().setCheckpoint(checkpoint);
}
