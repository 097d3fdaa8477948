import type { handleClientStreamingCall, handleUnaryCall, Metadata, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EventStore } from '../storage/event-store';
import { appendHandler } from './append';
import { authenticate, type Users } from './authentication';
import { batchAppendHandler } from './batch-append';
import { deleteHandler, tombstoneHandler } from './delete';
import { toStatus } from './protocol-error';
import { readHandler } from './read';

export function streamsService(store: EventStore, options: { maxAppendSize: number; users: Users | null }): UntypedServiceImplementation {
  const { users, maxAppendSize } = options;
  return {
    read: guardStream(readHandler(store), users),
    append: guardClientStream(appendHandler(store, maxAppendSize), users),
    delete: guardUnary(deleteHandler(store), users),
    tombstone: guardUnary(tombstoneHandler(store), users),
    batchAppend: guardStream(batchAppendHandler(store, maxAppendSize), users),
  };
}

function guardUnary<Q, R>(handler: handleUnaryCall<Q, R>, users: Users | null): handleUnaryCall<Q, R> {
  return (call, callback) => {
    try {
      authenticate(call.metadata, users);
      handler(call, callback);
    } catch (error) {
      callback(toStatus(error));
    }
  };
}

function guardClientStream<Q, R>(handler: handleClientStreamingCall<Q, R>, users: Users | null): handleClientStreamingCall<Q, R> {
  return (call, callback) => {
    try {
      authenticate(call.metadata, users);
      handler(call, callback);
    } catch (error) {
      call.on('data', () => undefined);
      callback(toStatus(error));
    }
  };
}

function guardStream<C extends { metadata: Metadata; emit(event: 'error', error: unknown): boolean }>(
  handler: (call: C) => void,
  users: Users | null,
): (call: C) => void {
  return (call) => {
    try {
      authenticate(call.metadata, users);
      handler(call);
    } catch (error) {
      call.emit('error', toStatus(error));
    }
  };
}
