import type { ServerDuplexStream } from '@grpc/grpc-js';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import {
  AccessDenied,
  BadRequest,
  MaximumAppendSizeExceeded,
  StreamDeleted,
  Timeout,
  Unknown,
  WrongExpectedVersion,
} from '@eventstore/db-client/generated/shared_pb';
import { BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import { mayAccess, type AclSource, type Principal } from '../access/stream-acl';
import { StoreUnavailableError, type EventStore, type WriteOutcome } from '../storage/event-store';
import type { NewEvent } from '../storage/event-record';
import type { ExpectedRevision } from '../storage/expected-revision';
import { invalidArgument, ProtocolError, toStatus } from './protocol-error';
import { allStreamPosition, appendSize, expectedRevision, proposedEvent, streamIdentifier, streamName, uuid, uuidString } from './wire';

interface PendingBatch {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly events: NewEvent[];
  readonly timer: NodeJS.Timeout;
  size: number;
}

// google.rpc.Code values the client maps back to its typed errors.
const CODE = { unknown: 2, invalidArgument: 3, deadlineExceeded: 4, streamDeleted: 5, wrongExpectedVersion: 6, permissionDenied: 7 } as const;
const MAX_OPEN_BATCHES = 10_000;
/** Correlations answered before their last chunk (timeout, size, access): their later chunks are dropped. */
const MAX_ANSWERED = 10_000;

export interface BatchAppendOptions {
  readonly maxAppendSize: number;
  /** Longest wait for a batch's last chunk, whatever deadline the client asked for. */
  readonly writeTimeoutMs: number;
}

/**
 * One long-lived call per client channel, with many appends multiplexed by correlation id, as
 * EventStoreDB serves it: each append is answered exactly once, when its last chunk arrives, as soon
 * as it is refused (access, size, bad event), or when its deadline passes before its last chunk
 * came (a timer per batch, not a check at the last chunk, which may never arrive).
 */
export function batchAppendHandler(
  store: EventStore,
  acl: AclSource,
  options: BatchAppendOptions,
): (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>, principal: Principal | null) => void {
  const { maxAppendSize, writeTimeoutMs } = options;
  return (call, principal) => {
    const open = new Map<string, PendingBatch>();
    const answered = new Set<string>();
    let inFlight = 0;
    let ended = false;
    let failed = false;
    const stopTimers = (): void => {
      for (const batch of open.values()) clearTimeout(batch.timer);
      open.clear();
    };
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      stopTimers();
      if (!call.cancelled && !call.writableEnded) call.emit('error', toStatus(error));
    };
    const maybeEnd = (): void => {
      if (ended && inFlight === 0 && open.size === 0 && !failed && !call.cancelled && !call.writableEnded) call.end();
    };
    const reply = (response: BatchAppendResp): void => {
      if (!failed && !call.cancelled && !call.writableEnded) call.write(response);
    };
    /** Answers a batch before its last chunk and forgets it; its remaining chunks are ignored. */
    const answerEarly = (correlation: string, stream: string, status: Status): void => {
      const batch = open.get(correlation);
      if (batch) clearTimeout(batch.timer);
      open.delete(correlation);
      answered.add(correlation);
      if (answered.size > MAX_ANSWERED) answered.delete(answered.values().next().value!);
      reply(response(correlation, stream, status));
    };

    call.on('data', (request: BatchAppendReq) => {
      if (failed) return;
      let correlation: string;
      try {
        correlation = uuidString(request.getCorrelationId(), 'correlation id');
      } catch (error) {
        // Without a readable correlation there is nobody to answer: end the whole call.
        return fail(error instanceof ProtocolError ? error : invalidArgument(String(error)));
      }
      let batch = open.get(correlation);
      const options = request.getOptions();
      if (!batch && options) {
        let stream: string;
        let expected: ExpectedRevision;
        try {
          stream = streamName(options.getStreamIdentifier());
          expected = expectedRevision(options, options.hasStreamPosition() ? options.getStreamPosition() : undefined);
        } catch (error) {
          return answerEarly(correlation, '', errorStatus(CODE.invalidArgument, 'BadRequest', new BadRequest().setMessage((error as Error).message)));
        }
        answered.delete(correlation);
        if (!mayAccess(principal, 'write', stream, acl)) return answerEarly(correlation, stream, errorStatus(CODE.permissionDenied, 'AccessDenied', new AccessDenied()));
        if (open.size >= MAX_OPEN_BATCHES) {
          return answerEarly(correlation, stream, errorStatus(CODE.invalidArgument, 'BadRequest', new BadRequest().setMessage('too many open batches')));
        }
        const deadline = options.getDeadline();
        const requested = deadline ? deadline.getSeconds() * 1000 + Math.floor(deadline.getNanos() / 1e6) - Date.now() : Infinity;
        const timeoutMs = Math.min(requested, writeTimeoutMs);
        if (!(timeoutMs > 0)) return answerEarly(correlation, stream, timeoutStatus());
        const timer = setTimeout(() => {
          if (open.get(correlation) === created) {
            answerEarly(correlation, stream, timeoutStatus());
            maybeEnd();
          }
        }, timeoutMs);
        timer.unref();
        const created: PendingBatch = { stream, expected, events: [], size: 0, timer };
        batch = created;
        open.set(correlation, batch);
      }
      if (!batch) {
        // A later chunk of a batch already answered is dropped, as EventStoreDB drops it.
        if (answered.has(correlation)) {
          if (request.getIsFinal()) answered.delete(correlation);
          return;
        }
        // A batch that never had options is no client's doing: end the whole call.
        return fail(invalidArgument('the first request of a batch carries its options'));
      }
      for (const message of request.getProposedMessagesList()) {
        let event: NewEvent;
        try {
          event = proposedEvent(message);
        } catch (error) {
          return answerEarly(correlation, batch.stream, errorStatus(CODE.invalidArgument, 'BadRequest', new BadRequest().setMessage(String((error as Error).message))));
        }
        batch.size += appendSize(event);
        if (batch.size > maxAppendSize) {
          // Refused as soon as it is too big, so a huge append is never buffered whole.
          return answerEarly(
            correlation,
            batch.stream,
            errorStatus(CODE.invalidArgument, 'MaximumAppendSizeExceeded', new MaximumAppendSizeExceeded().setMaxappendsize(maxAppendSize)),
          );
        }
        batch.events.push(event);
      }
      if (!request.getIsFinal()) return;
      clearTimeout(batch.timer);
      open.delete(correlation);
      const done = batch;
      inFlight++;
      let outcome: Promise<WriteOutcome>;
      try {
        outcome = store.append(done.stream, done.expected, done.events);
      } catch (error) {
        outcome = Promise.reject(error);
      }
      outcome
        .then(
          (result) => reply(response(correlation, done.stream, result, done.expected)),
          (error: unknown) => {
            // A store that is stopping or failed ends the call with UNAVAILABLE, as EventStoreDB does.
            if (error instanceof StoreUnavailableError) fail(error);
            else reply(response(correlation, done.stream, errorStatus(CODE.unknown, 'Unknown', new Unknown(), 'The append failed.')));
          },
        )
        .finally(() => {
          inFlight--;
          maybeEnd();
        });
    });
    call.on('end', () => {
      ended = true;
      maybeEnd();
    });
    call.on('cancelled', stopTimers);
    call.on('close', stopTimers);
    call.on('error', () => {
      failed = true;
      stopTimers();
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
