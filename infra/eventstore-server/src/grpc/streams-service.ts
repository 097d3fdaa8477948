import { status, type handleClientStreamingCall, type handleUnaryCall, type Metadata, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { StreamsService as StreamsDefinition } from '@eventstore/db-client/generated/streams_grpc_pb';
import type { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { Principal } from '../access/stream-acl';
import { storeAclSource } from '../access/store-acl-source';
import type { EventStore } from '../storage/event-store';
import { appendHandler } from './append';
import { authenticate, type UserGroups, type Users } from './authentication';
import { batchAppendHandler } from './batch-append';
import { deleteHandler, tombstoneHandler } from './delete';
import { ProtocolError, toStatus } from './protocol-error';
import { readHandler } from './read';

export interface StreamsServiceOptions {
  readonly maxAppendSize: number;
  readonly users: Users | null;
  readonly groups?: UserGroups;
  /** How long a batch may wait for its last chunk (EventStoreDB's write timeout, 2 s by default). */
  readonly writeTimeoutMs?: number;
}

export interface StreamsService {
  readonly implementation: UntypedServiceImplementation;
  /** Answers every call still open with UNAVAILABLE (as a stopping EventStoreDB does) and refuses new ones. */
  shutdown(): void;
}

type Abort = () => void;

/**
 * The Streams service as generated, except that `Read` also sends a ReadResp already encoded (a
 * Buffer from `encodeEventResponse`) as it is: the events of a read or subscription are written
 * straight to bytes, the other answers still go through google-protobuf.
 */
export const streamsServiceDefinition: typeof StreamsDefinition = {
  ...StreamsDefinition,
  read: {
    ...StreamsDefinition.read,
    responseSerialize: (message: ReadResp | Buffer) => (Buffer.isBuffer(message) ? message : StreamsDefinition.read.responseSerialize(message)),
  },
};

export function streamsService(store: EventStore, options: StreamsServiceOptions): StreamsService {
  const { users, groups, maxAppendSize } = options;
  const acl = storeAclSource(store);
  const open = new Set<Abort>();
  let stopping = false;
  const unavailable = (): ProtocolError => new ProtocolError(status.UNAVAILABLE, 'Server is shutting down.');
  const who = (metadata: Metadata): Principal | null => {
    if (stopping) throw unavailable();
    return authenticate(metadata, users, groups);
  };

  function guardUnary<Q, R>(handler: (call: Parameters<handleUnaryCall<Q, R>>[0], callback: Parameters<handleUnaryCall<Q, R>>[1], principal: Principal | null) => void): handleUnaryCall<Q, R> {
    return (call, callback) => {
      let done = false;
      const abort: Abort = () => once(unavailable());
      const once: typeof callback = (error, value) => {
        if (done) return;
        done = true;
        open.delete(abort);
        callback(error, value);
      };
      try {
        const principal = who(call.metadata);
        open.add(abort);
        handler(call, once, principal);
      } catch (error) {
        once(toStatus(error));
      }
    };
  }

  function guardClientStream<Q, R>(
    handler: (call: Parameters<handleClientStreamingCall<Q, R>>[0], callback: Parameters<handleClientStreamingCall<Q, R>>[1], principal: Principal | null) => void,
  ): handleClientStreamingCall<Q, R> {
    return (call, callback) => {
      let done = false;
      const abort: Abort = () => once(unavailable());
      const once: typeof callback = (error, value) => {
        if (done) return;
        done = true;
        open.delete(abort);
        callback(error, value);
      };
      try {
        const principal = who(call.metadata);
        open.add(abort);
        handler(call, once, principal);
      } catch (error) {
        call.on('data', () => undefined);
        once(toStatus(error));
      }
    };
  }

  function guardStream<C extends { metadata: Metadata; emit(event: 'error', error: unknown): boolean; once(event: string, listener: () => void): unknown; writableEnded: boolean }>(
    handler: (call: C, principal: Principal | null) => void,
  ): (call: C) => void {
    return (call) => {
      const abort: Abort = () => {
        open.delete(abort);
        if (!call.writableEnded) call.emit('error', toStatus(unavailable()));
      };
      const forget = (): void => {
        open.delete(abort);
      };
      try {
        const principal = who(call.metadata);
        open.add(abort);
        call.once('finish', forget);
        call.once('close', forget);
        call.once('cancelled', forget);
        handler(call, principal);
      } catch (error) {
        call.emit('error', toStatus(error));
      }
    };
  }

  return {
    implementation: {
      read: guardStream(readHandler(store, acl)),
      append: guardClientStream(appendHandler(store, acl, maxAppendSize)),
      delete: guardUnary(deleteHandler(store, acl)),
      tombstone: guardUnary(tombstoneHandler(store, acl)),
      batchAppend: guardStream(batchAppendHandler(store, acl, { maxAppendSize, writeTimeoutMs: options.writeTimeoutMs ?? 2_000 })),
    },
    shutdown: () => {
      stopping = true;
      for (const abort of [...open]) abort();
    },
  };
}
