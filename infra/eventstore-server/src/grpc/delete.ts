import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { assertAccess, type AclSource, type Principal } from '../access/stream-acl';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { DeleteReq, DeleteResp, TombstoneReq, TombstoneResp } from '@eventstore/db-client/generated/streams_pb';
import type { EventStore, WriteOutcome } from '../storage/event-store';
import type { ExpectedRevision } from '../storage/expected-revision';
import { invalidArgument, ProtocolError, streamDeleted, toStatus } from './protocol-error';
import { expectedRevision, streamName } from './wire';

const EXPECTED_VERSION_CODE: Record<Exclude<ExpectedRevision['kind'], 'revision'>, string> = {
  any: '-2',
  no_stream: '-1',
  stream_exists: '-4',
};

type UnaryHandler<Q, R> = (call: ServerUnaryCall<Q, R>, callback: sendUnaryData<R>, principal: Principal | null) => void;

export function deleteHandler(store: EventStore, acl: AclSource): UnaryHandler<DeleteReq, DeleteResp> {
  return (call, callback, principal) => {
    run(call.request.getOptions(), (stream, expected) => {
      assertAccess(principal, 'delete', stream, acl);
      return store.delete(stream, expected);
    })
      .then((position) => {
        const reply = new DeleteResp();
        if (position === null) reply.setNoPosition(new Empty());
        else reply.setPosition(new DeleteResp.Position().setCommitPosition(String(position)).setPreparePosition(String(position)));
        callback(null, reply);
      })
      .catch((error: unknown) => callback(toStatus(error)));
  };
}

export function tombstoneHandler(store: EventStore, acl: AclSource): UnaryHandler<TombstoneReq, TombstoneResp> {
  return (call, callback, principal) => {
    run(call.request.getOptions(), (stream, expected) => {
      assertAccess(principal, 'delete', stream, acl);
      return store.tombstone(stream, expected);
    })
      .then((position) => {
        const reply = new TombstoneResp();
        if (position === null) reply.setNoPosition(new Empty());
        else reply.setPosition(new TombstoneResp.Position().setCommitPosition(String(position)).setPreparePosition(String(position)));
        callback(null, reply);
      })
      .catch((error: unknown) => callback(toStatus(error)));
  };
}

type DeleteOptions = DeleteReq.Options | TombstoneReq.Options;

async function run(
  options: DeleteOptions | undefined,
  action: (stream: string, expected: ExpectedRevision) => Promise<WriteOutcome>,
): Promise<number | null> {
  if (!options) throw invalidArgument('options are required');
  const stream = streamName(options.getStreamIdentifier());
  const expected = expectedRevision(options, options.hasRevision() ? options.getRevision() : undefined);
  const outcome = await action(stream, expected);
  if (outcome.ok) return outcome.position;
  if (outcome.refusal.kind === 'stream_deleted') throw streamDeleted(stream);
  const trailers: Record<string, string> = {
    exception: 'wrong-expected-version',
    'stream-name': stream,
    'expected-version': expected.kind === 'revision' ? expected.revision.toString() : EXPECTED_VERSION_CODE[expected.kind],
  };
  if (outcome.refusal.current >= 0) trailers['actual-version'] = String(outcome.refusal.current);
  throw new ProtocolError(status.FAILED_PRECONDITION, `Wrong expected version for stream '${stream}'.`, trailers);
}
