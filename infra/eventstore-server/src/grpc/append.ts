import type { ServerReadableStream, sendUnaryData } from '@grpc/grpc-js';
import { assertAccess, type AclSource, type Principal } from '../access/stream-acl';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { AppendReq, AppendResp } from '@eventstore/db-client/generated/streams_pb';
import type { EventStore, WriteOutcome } from '../storage/event-store';
import type { NewEvent } from '../storage/event-record';
import type { ExpectedRevision } from '../storage/expected-revision';
import { invalidArgument, maxAppendSizeExceeded, streamDeleted, toStatus } from './protocol-error';
import { appendSize, expectedRevision, proposedEvent, streamName } from './wire';

export function appendHandler(
  store: EventStore,
  acl: AclSource,
  maxAppendSize: number,
): (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>, principal: Principal | null) => void {
  return (call, callback, principal) => {
    let target: { stream: string; expected: ExpectedRevision } | null = null;
    const events: NewEvent[] = [];
    let size = 0;
    let finished = false;
    const finish = (error: unknown, reply?: AppendResp): void => {
      if (finished) return;
      finished = true;
      if (error) callback(toStatus(error));
      else callback(null, reply);
    };
    call.on('data', (request: AppendReq) => {
      if (finished) return;
      try {
        if (request.hasOptions()) {
          if (target) throw invalidArgument('options were sent twice');
          const options = request.getOptions()!;
          const stream = streamName(options.getStreamIdentifier());
          // Checked before any event is buffered, as EventStoreDB checks the write at its options.
          assertAccess(principal, 'write', stream, acl);
          target = { stream, expected: expectedRevision(options, options.hasRevision() ? options.getRevision() : undefined) };
        } else if (request.hasProposedMessage()) {
          if (!target) throw invalidArgument('options must come first');
          const event = proposedEvent(request.getProposedMessage()!);
          size += appendSize(event);
          // Refused as soon as it is too big, so a huge append is never buffered whole.
          if (size > maxAppendSize) throw maxAppendSizeExceeded(maxAppendSize);
          events.push(event);
        } else {
          throw invalidArgument('empty append request');
        }
      } catch (error) {
        finish(error);
      }
    });
    call.on('end', () => {
      // A reset stream also ends the request side; only a real half-close may commit the append.
      setImmediate(() => commit());
    });
    const commit = (): void => {
      if (finished || call.cancelled) return;
      if (!target) return finish(invalidArgument('append options are required'));
      const { stream, expected } = target;
      store.append(stream, expected, events).then(
        (outcome) => {
          try {
            finish(null, appendResponse(stream, expected, outcome));
          } catch (error) {
            finish(error);
          }
        },
        (error: unknown) => finish(error),
      );
    };
    call.on('cancelled', () => {
      finished = true;
    });
    call.on('error', () => {
      finished = true;
    });
  };
}

function appendResponse(stream: string, expected: ExpectedRevision, outcome: WriteOutcome): AppendResp {
  if (outcome.ok) {
    const success = new AppendResp.Success();
    if (outcome.revision >= 0) success.setCurrentRevision(String(outcome.revision));
    else success.setNoStream(new Empty());
    if (outcome.position !== null) {
      success.setPosition(
        new AppendResp.Position().setCommitPosition(String(outcome.position)).setPreparePosition(String(outcome.position)),
      );
    } else success.setNoPosition(new Empty());
    return new AppendResp().setSuccess(success);
  }
  if (outcome.refusal.kind === 'stream_deleted') throw streamDeleted(stream);
  const wrong = new AppendResp.WrongExpectedVersion();
  const current = outcome.refusal.current;
  if (current >= 0) wrong.setCurrentRevision(String(current));
  else wrong.setCurrentNoStream(new Empty());
  switch (expected.kind) {
    case 'revision':
      wrong.setExpectedRevision(expected.revision.toString());
      break;
    case 'any':
      wrong.setExpectedAny(new Empty());
      break;
    case 'no_stream':
      wrong.setExpectedNoStream(new Empty());
      break;
    case 'stream_exists':
      wrong.setExpectedStreamExists(new Empty());
      break;
  }
  return new AppendResp().setWrongExpectedVersion(wrong);
}
