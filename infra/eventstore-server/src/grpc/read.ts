import type { handleServerStreamingCall, ServerWritableStream } from '@grpc/grpc-js';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { EventStore } from '../storage/event-store';
import type { EventRecord } from '../storage/event-record';
import { send } from './call-writer';
import { streamDeleted, toStatus } from './protocol-error';
import { parseReadRequest } from './read-request';
import { runSubscription } from './subscription';
import { eventResponse, streamIdentifier } from './wire';

export type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

export function readHandler(store: EventStore): handleServerStreamingCall<ReadReq, ReadResp> {
  return (call) => {
    let task: Promise<void>;
    try {
      const request = parseReadRequest(call.request);
      task = request.subscribe ? runSubscription(store, call, request) : runRead(store, call, request);
    } catch (error) {
      task = Promise.reject(error);
    }
    task.catch((error: unknown) => {
      if (!call.cancelled) call.emit('error', toStatus(error));
    });
  };
}

async function runRead(store: EventStore, call: ReadCall, request: ReturnType<typeof parseReadRequest>): Promise<void> {
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
    const resolved = request.resolveLinks && record.type === '$>' ? store.resolveLink(record) : undefined;
    if (!(await send(call, eventResponse(record, resolved)))) return;
  }
  call.end();
}
