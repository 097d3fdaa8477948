import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { EventStoreDBClient, binaryEvent, MaxAppendSizeExceededError, START, UnavailableError } from '@eventstore/db-client';
import { StreamsClient } from '@eventstore/db-client/generated/streams_grpc_pb';
import { BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb';
import { StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { exited, freePort, startChildServer } from './child-server';
import { collect, startTestServer, tempDir, uniqueStream, type TestServer } from './harness';

function options(stream: string, deadlineMs: number | null): BatchAppendReq.Options {
  const o = new BatchAppendReq.Options().setStreamIdentifier(new StreamIdentifier().setStreamName(Buffer.from(stream))).setAny(new Empty());
  if (deadlineMs !== null) {
    const at = Date.now() + deadlineMs;
    o.setDeadline(new Timestamp().setSeconds(Math.floor(at / 1000)).setNanos((at % 1000) * 1e6));
  }
  return o;
}

function chunk(correlation: string, opts: BatchAppendReq.Options | null, bytes: number, isFinal: boolean): BatchAppendReq {
  const message = new BatchAppendReq.ProposedMessage().setId(new UUID().setString(randomUUID())).setData(Buffer.alloc(bytes, 1));
  message.getMetadataMap().set('type', 'Chunked').set('content-type', 'application/octet-stream');
  const request = new BatchAppendReq().setCorrelationId(new UUID().setString(correlation)).setProposedMessagesList([message]).setIsFinal(isFinal);
  return opts ? request.setOptions(opts) : request;
}

function errorName(response: BatchAppendResp): string | undefined {
  return response.getError()?.getDetails()?.getTypeUrl().split('.').pop();
}

describe('batch append', () => {
  let t: TestServer;
  let streams: StreamsClient;
  beforeAll(async () => {
    t = await startTestServer({ memory: true });
    streams = new StreamsClient(`127.0.0.1:${t.server.port}`, credentials.createInsecure());
  });
  afterAll(async () => {
    streams.close();
    await t.stop();
  });

  it('answers Timeout when the last chunk of a batch never arrives before its deadline', async () => {
    const stream = uniqueStream('stalled');
    const call = streams.batchAppend();
    call.on('error', () => undefined);
    const correlation = randomUUID();
    const started = Date.now();
    const answer = new Promise<BatchAppendResp>((resolve) => call.on('data', resolve));
    call.write(chunk(correlation, options(stream, 300), 10, false));
    const response = await answer;
    expect(errorName(response)).toBe('Timeout');
    expect(response.getCorrelationId()?.getString()).toBe(correlation);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // The late last chunk is dropped, not answered twice and not written.
    const second = jest.fn();
    call.on('data', second);
    call.write(chunk(correlation, null, 10, true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(second).not.toHaveBeenCalled();
    call.end();
    await expect(collect(t.client.readStream(stream))).rejects.toMatchObject({ type: 'stream-not-found' });
  });

  it('answers a stalled batch without a deadline after the server write timeout', async () => {
    const call = streams.batchAppend();
    call.on('error', () => undefined);
    const answer = new Promise<BatchAppendResp>((resolve) => call.on('data', resolve));
    call.write(chunk(randomUUID(), options(uniqueStream('stalled'), null), 10, false));
    expect(errorName(await answer)).toBe('Timeout');
    call.end();
  });

  it('answers a batch over the size limit at once, even before its last chunk, and never again', async () => {
    const stream = uniqueStream('huge');
    const call = streams.batchAppend();
    call.on('error', () => undefined);
    const correlation = randomUUID();
    const responses: BatchAppendResp[] = [];
    const first = new Promise<void>((resolve) => call.on('data', (r: BatchAppendResp) => (responses.push(r), resolve())));
    call.write(chunk(correlation, options(stream, 10_000), 600_000, false));
    call.write(chunk(correlation, null, 600_000, false));
    await first;
    expect(errorName(responses[0])).toBe('MaximumAppendSizeExceeded');
    call.write(chunk(correlation, null, 10, true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(responses).toHaveLength(1);
    call.end();
  });
});

describe('a server shutting down', () => {
  it('answers an unfinished batch append and an open subscription with UNAVAILABLE', async () => {
    const t = await startTestServer({ memory: true });
    const streams = new StreamsClient(`127.0.0.1:${t.server.port}`, credentials.createInsecure());
    try {
      const batch = streams.batchAppend();
      const batchError = new Promise<ServiceError>((resolve) => batch.on('error', resolve));
      batch.on('data', () => undefined);
      batch.write(chunk(randomUUID(), options(uniqueStream(), 60_000), 10, false));
      const subscription = t.client.subscribeToStream(uniqueStream(), { fromRevision: START });
      const subscriptionError = new Promise((resolve) => subscription.on('error', resolve));
      await new Promise<void>((resolve) => subscription.on('caughtUp', () => resolve()));
      await t.server.close();
      expect((await batchError).code).toBe(status.UNAVAILABLE);
      expect(await subscriptionError).toBeInstanceOf(UnavailableError);
    } finally {
      streams.close();
      await t.stop();
    }
  });
});

describe('--max-append-size', () => {
  const dataDir = tempDir('kairos-esdb-max-');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('raises the limit from the command line and from EVENTSTORE_MAX_APPEND_SIZE', async () => {
    for (const [args, env] of [
      [['--max-append-size', '3m'], {}],
      [[], { EVENTSTORE_MAX_APPEND_SIZE: String(3 * 1024 * 1024) }],
    ] as const) {
      const port = await freePort();
      const child = await startChildServer(['--port', String(port), '--data', dataDir, ...args], env);
      const client = EventStoreDBClient.connectionString(child.connectionString);
      try {
        const stream = uniqueStream('roomy');
        await client.appendToStream(stream, binaryEvent({ type: 'Big', data: Buffer.alloc(2 * 1024 * 1024) }));
        const error = await client.appendToStream(stream, binaryEvent({ type: 'Big', data: Buffer.alloc(4 * 1024 * 1024) })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MaxAppendSizeExceededError);
        expect((error as MaxAppendSizeExceededError).maxAppendSize).toBe(3 * 1024 * 1024);
      } finally {
        await client.dispose();
        child.process.kill('SIGTERM');
        await exited(child.process);
      }
    }
  });
});
