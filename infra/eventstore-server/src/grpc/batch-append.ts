import type { handleBidiStreamingCall } from '@grpc/grpc-js';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import {
  BadRequest,
  MaximumAppendSizeExceeded,
  StreamDeleted,
  Timeout,
  Unknown,
  WrongExpectedVersion,
} from '@eventstore/db-client/generated/shared_pb';
import { BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import type { EventStore, WriteOutcome } from '../storage/event-store';
import type { NewEvent } from '../storage/event-record';
import type { ExpectedRevision } from '../storage/expected-revision';
import { invalidArgument, ProtocolError, toStatus } from './protocol-error';
import { allStreamPosition, appendSize, expectedRevision, proposedEvent, streamIdentifier, streamName, uuid, uuidString } from './wire';

interface PendingBatch {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly deadlineMs: number | null;
  readonly events: NewEvent[];
  size: number;
  failure: Status | null;
}

// google.rpc.Code values the client maps back to its typed errors.
const CODE = { unknown: 2, invalidArgument: 3, deadlineExceeded: 4, streamDeleted: 5, wrongExpectedVersion: 6 } as const;
const MAX_OPEN_BATCHES = 10_000;

/**
 * One long-lived call per client channel, with many appends multiplexed by correlation id. Each
 * append is buffered until its final chunk and answered exactly once.
 */
export function batchAppendHandler(store: EventStore, maxAppendSize: number): handleBidiStreamingCall<BatchAppendReq, BatchAppendResp> {
  return (call) => {
    const open = new Map<string, PendingBatch>();
    let inFlight = 0;
    let ended = false;
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      call.emit('error', toStatus(error));
    };
    const maybeEnd = (): void => {
      if (ended && inFlight === 0 && !failed && !call.cancelled) call.end();
    };
    const reply = (response: BatchAppendResp): void => {
      if (!failed && !call.cancelled) call.write(response);
    };

    call.on('data', (request: BatchAppendReq) => {
      if (failed) return;
      try {
        const correlation = uuidString(request.getCorrelationId(), 'correlation id');
        let batch = open.get(correlation);
        if (!batch) {
          const options = request.getOptions();
          if (!options) throw invalidArgument('the first request of a batch carries its options');
          if (open.size >= MAX_OPEN_BATCHES) throw invalidArgument('too many open batches');
          const deadline = options.getDeadline();
          batch = {
            stream: streamName(options.getStreamIdentifier()),
            expected: expectedRevision(options, options.hasStreamPosition() ? options.getStreamPosition() : undefined),
            deadlineMs: deadline ? deadline.getSeconds() * 1000 + Math.floor(deadline.getNanos() / 1e6) : null,
            events: [],
            size: 0,
            failure: null,
          };
          open.set(correlation, batch);
        }
        for (const message of request.getProposedMessagesList()) {
          if (batch.failure) break;
          let event: NewEvent;
          try {
            event = proposedEvent(message);
          } catch (error) {
            batch.failure = errorStatus(CODE.invalidArgument, 'BadRequest', new BadRequest().setMessage(String((error as Error).message)));
            batch.events.length = 0;
            break;
          }
          batch.size += appendSize(event);
          if (batch.size > maxAppendSize) {
            batch.failure = errorStatus(
              CODE.invalidArgument,
              'MaximumAppendSizeExceeded',
              new MaximumAppendSizeExceeded().setMaxappendsize(maxAppendSize),
            );
            batch.events.length = 0;
          } else batch.events.push(event);
        }
        if (!request.getIsFinal()) return;
        open.delete(correlation);
        const done = batch;
        if (!done.failure && done.deadlineMs !== null && Date.now() > done.deadlineMs) done.failure = timeoutStatus();
        if (done.failure) return reply(response(correlation, done.stream, done.failure));
        inFlight++;
        store
          .append(done.stream, done.expected, done.events)
          .then(
            (outcome) => reply(response(correlation, done.stream, outcome, done.expected)),
            (error: unknown) =>
              reply(response(correlation, done.stream, errorStatus(CODE.unknown, 'Unknown', new Unknown(), String(error)))),
          )
          .finally(() => {
            inFlight--;
            maybeEnd();
          });
      } catch (error) {
        // Without a readable correlation or options there is nobody to answer: end the whole call.
        fail(error instanceof ProtocolError ? error : invalidArgument(String(error)));
      }
    });
    call.on('end', () => {
      ended = true;
      maybeEnd();
    });
    call.on('error', () => {
      failed = true;
    });
  };
}

function response(correlation: string, stream: string, result: WriteOutcome | Status, expected?: ExpectedRevision): BatchAppendResp {
  const resp = new BatchAppendResp().setCorrelationId(uuid(correlation)).setStreamIdentifier(streamIdentifier(stream));
  if (result instanceof Status) return resp.setError(result);
  if (result.ok) {
    const success = new BatchAppendResp.Success();
    if (result.revision >= 0) success.setCurrentRevision(String(result.revision));
    else success.setNoStream(new Empty());
    if (result.position !== null) success.setPosition(allStreamPosition(result.position));
    else success.setNoPosition(new Empty());
    return resp.setSuccess(success);
  }
  if (result.refusal.kind === 'stream_deleted') {
    return resp.setError(
      errorStatus(CODE.streamDeleted, 'StreamDeleted', new StreamDeleted().setStreamIdentifier(streamIdentifier(stream))),
    );
  }
  const wrong = new WrongExpectedVersion();
  if (result.refusal.current >= 0) wrong.setCurrentStreamRevision(String(result.refusal.current));
  else wrong.setCurrentNoStream(new Empty());
  const e = expected ?? { kind: 'any' };
  if (e.kind === 'revision') wrong.setExpectedStreamPosition(e.revision.toString());
  else if (e.kind === 'any') wrong.setExpectedAny(new Empty());
  else if (e.kind === 'no_stream') wrong.setExpectedNoStream(new Empty());
  else wrong.setExpectedStreamExists(new Empty());
  return resp.setError(errorStatus(CODE.wrongExpectedVersion, 'WrongExpectedVersion', wrong));
}

function timeoutStatus(): Status {
  return errorStatus(CODE.deadlineExceeded, 'Timeout', new Timeout());
}

function errorStatus(code: number, name: string, detail: { serializeBinary(): Uint8Array }, message = name): Status {
  const any = new Any();
  any.pack(detail.serializeBinary(), `event_store.client.${name}`);
  return new Status().setCode(code).setMessage(message).setDetails(any);
}
