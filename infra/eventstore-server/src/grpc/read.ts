import type { ServerWritableStream } from '@grpc/grpc-js';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { assertAccess, mayAccess, type AclSource, type Principal } from '../access/stream-acl';
import type { EventStore } from '../storage/event-store';
import type { EventRecord } from '../storage/event-record';
import { send } from './call-writer';
import { streamDeleted, toStatus } from './protocol-error';
import { parseReadRequest } from './read-request';
import { runSubscription } from './subscription';
import { encodeEventResponse, streamIdentifier } from './wire';

/** A read or subscription; events go out already encoded (`encodeEventResponse`). */
export type ReadCall = ServerWritableStream<ReadReq, ReadResp | Buffer>;

/** Resolves a link only to a record the caller may read; otherwise the link comes back unresolved. */
export type LinkResolver = (record: EventRecord) => EventRecord | null | undefined;

export function readHandler(store: EventStore, acl: AclSource): (call: ReadCall, principal: Principal | null) => void {
  return (call, principal) => {
    let task: Promise<void>;
    try {
      const request = parseReadRequest(call.request);
      assertAccess(principal, 'read', request.source === 'stream' ? request.stream : '$all', acl);
      const resolve: LinkResolver = (record) => {
        if (!request.resolveLinks || record.type !== '$>') return undefined;
        const target = store.resolveLink(record);
        return target && mayAccess(principal, 'read', target.stream, acl) ? target : null;
      };
      task = request.subscribe ? runSubscription(store, call, request, resolve) : runRead(store, call, request, resolve);
    } catch (error) {
      task = Promise.reject(error);
    }
    task.catch((error: unknown) => {
      if (!call.cancelled && !call.writableEnded) call.emit('error', toStatus(error));
    });
  };
}

async function runRead(store: EventStore, call: ReadCall, request: ReturnType<typeof parseReadRequest>, resolve: LinkResolver): Promise<void> {
  let records: Iterable<EventRecord>;
  if (request.source === 'stream') {
    const result = store.readStream(request.stream, request.from, request.backwards, request.count);
    if (result.kind === 'deleted') throw streamDeleted(request.stream);
    if (result.kind === 'not_found') {
      const notFound = new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(request.stream));
      await send(call, new ReadResp().setStreamNotFound(notFound));
      call.end();
      return;
    }
    records = result.records;
  } else {
    records = store.readAll(request.from, request.backwards, request.count);
  }
  for (const record of records) {
    if (!(await send(call, encodeEventResponse(record, resolve(record))))) return;
  }
  if (!call.writableEnded) call.end();
}
