import { connect as connectHttp2 } from 'node:http2';
import { connect as connectTcp } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { StreamsClient } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, AppendResp, BatchAppendReq, BatchAppendResp, ReadReq } from '@eventstore/db-client/generated/streams_pb';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { collect, events, startTestServer, uniqueStream, type TestServer } from './harness';

describe('hostile or malformed requests', () => {
  let t: TestServer;
  let address: string;
  let raw: Client;
  let streams: StreamsClient;
  beforeAll(async () => {
    t = await startTestServer({ memory: true });
    address = `127.0.0.1:${t.server.port}`;
    raw = new Client(address, credentials.createInsecure());
    streams = new StreamsClient(address, credentials.createInsecure());
  });
  afterEach(async () => {
    // The server must still work normally after every attack.
    const stream = uniqueStream('alive');
    await t.client.appendToStream(stream, events(1));
    expect(await collect(t.client.readStream(stream))).toHaveLength(1);
  });
  afterAll(async () => {
    raw.close();
    streams.close();
    await t.stop();
  });

  function rawUnary(path: string, body: Buffer): Promise<ServiceError | null> {
    return new Promise((resolve) => {
      raw.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        (error) => resolve(error),
      );
    });
  }

  function rawClientStream(path: string, bodies: Buffer[]): Promise<ServiceError | null> {
    return new Promise((resolve) => {
      const call = raw.makeClientStreamRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        (error) => resolve(error),
      );
      for (const body of bodies) call.write(body);
      call.end();
    });
  }

  function readError(request: ReadReq): Promise<ServiceError> {
    return new Promise((resolve, reject) => {
      const call = streams.read(request);
      call.on('data', () => undefined);
      call.on('error', resolve);
      call.on('end', () => reject(new Error('read unexpectedly succeeded')));
    });
  }

  function appendError(messages: AppendReq[]): Promise<{ error: ServiceError | null; reply?: AppendResp }> {
    return new Promise((resolve) => {
      const call = streams.append((error, reply) => resolve({ error, reply }));
      for (const m of messages) call.write(m);
      call.end();
    });
  }

  const id = (name: string): StreamIdentifier => new StreamIdentifier().setStreamName(Buffer.from(name));
  const options = (stream: string): AppendReq =>
    new AppendReq().setOptions(new AppendReq.Options().setStreamIdentifier(id(stream)).setAny(new Empty()));
  const proposed = (type: string | null, eventId: string = randomUUID()): AppendReq => {
    const m = new AppendReq.ProposedMessage().setId(new UUID().setString(eventId)).setData(Buffer.from('{}'));
    if (type !== null) m.getMetadataMap().set('type', type);
    m.getMetadataMap().set('content-type', 'application/json');
    return new AppendReq().setProposedMessage(m);
  };

  it('answers random bytes in place of protobuf messages with an error status', async () => {
    for (const path of ['/event_store.client.streams.Streams/Delete', '/event_store.client.streams.Streams/Tombstone']) {
      const error = await rawUnary(path, randomBytes(64));
      expect(error?.code).not.toBe(status.OK);
    }
    const error = await rawClientStream('/event_store.client.streams.Streams/Append', [randomBytes(32), randomBytes(32)]);
    expect(error).not.toBeNull();
  });

  it('answers an unknown method with UNIMPLEMENTED', async () => {
    const error = await rawUnary('/event_store.client.streams.Streams/Explode', Buffer.alloc(0));
    expect(error?.code).toBe(status.UNIMPLEMENTED);
  });

  it('survives a connection that speaks something other than HTTP/2', async () => {
    await new Promise<void>((resolve) => {
      const socket = connectTcp(t.server.port, '127.0.0.1', () => socket.write(randomBytes(4096)));
      socket.resume();
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
    });
  });

  it('survives an HTTP/2 client that resets its streams half-way', async () => {
    const session = connectHttp2(`http://${address}`);
    session.on('error', () => undefined);
    const req = session.request({
      ':method': 'POST',
      ':path': '/event_store.client.streams.Streams/Append',
      'content-type': 'application/grpc',
    });
    req.on('error', () => undefined);
    req.write(Buffer.from([0, 0, 0, 0, 200, 1, 2, 3]));
    req.close();
    session.close();
    await new Promise((resolve) => session.on('close', resolve));
  });

  it('refuses a read without options, or with an impossible position', async () => {
    expect((await readError(new ReadReq())).code).toBe(status.INVALID_ARGUMENT);
    const bad = new ReadReq().setOptions(
      new ReadReq.Options()
        .setAll(new ReadReq.Options.AllOptions().setPosition(new ReadReq.Options.Position().setCommitPosition('1').setPreparePosition('5')))
        .setCount('10')
        .setNoFilter(new Empty()),
    );
    expect((await readError(bad)).code).toBe(status.INVALID_ARGUMENT);
  });

  it('refuses a subscription with a broken regex filter', async () => {
    const request = new ReadReq().setOptions(
      new ReadReq.Options()
        .setAll(new ReadReq.Options.AllOptions().setStart(new Empty()))
        .setSubscription(new ReadReq.Options.SubscriptionOptions())
        .setFilter(
          new ReadReq.Options.FilterOptions()
            .setStreamIdentifier(new ReadReq.Options.FilterOptions.Expression().setRegex('('))
            .setCount(new Empty()),
        )
        .setUuidOption(new ReadReq.Options.UUIDOption().setString(new Empty())),
    );
    expect((await readError(request)).code).toBe(status.INVALID_ARGUMENT);
  });

  it('refuses appends that are out of order or incomplete, writing nothing', async () => {
    const stream = uniqueStream('bad');
    expect((await appendError([proposed('A')])).error?.code).toBe(status.INVALID_ARGUMENT);
    expect((await appendError([])).error?.code).toBe(status.INVALID_ARGUMENT);
    expect((await appendError([options(stream), options(stream)])).error?.code).toBe(status.INVALID_ARGUMENT);
    expect((await appendError([options(''), proposed('A')])).error?.code).toBe(status.INVALID_ARGUMENT);
    expect((await appendError([options(stream), proposed('A', 'not-a-uuid')])).error?.code).toBe(status.INVALID_ARGUMENT);
    const missing = await appendError([options(stream), proposed('A'), proposed(null)]);
    expect(missing.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(missing.error?.metadata.get('exception')).toEqual(['missing-required-metadata-property']);
    await expect(collect(t.client.readStream(stream))).rejects.toMatchObject({ type: 'stream-not-found' });
  });

  it('answers a batch without options as an error of the whole call', async () => {
    const error = await new Promise<ServiceError | null>((resolve) => {
      const call = streams.batchAppend();
      call.on('data', (_r: BatchAppendResp) => undefined);
      call.on('error', resolve);
      call.on('end', () => resolve(null));
      call.write(new BatchAppendReq().setCorrelationId(new UUID().setString(randomUUID())).setIsFinal(true));
    });
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
  });

  it('does not write an append whose client went away before finishing it', async () => {
    const stream = uniqueStream('abandoned');
    await new Promise<void>((resolve) => {
      const call = streams.append(new Metadata(), () => resolve());
      call.write(options(stream));
      call.write(proposed('A'));
      setImmediate(() => call.cancel());
    });
    await expect(collect(t.client.readStream(stream))).rejects.toMatchObject({ type: 'stream-not-found' });
  });

  it('answers reads of absurd counts and revisions without trouble', async () => {
    const stream = uniqueStream();
    await t.client.appendToStream(stream, events(2));
    const read = await collect(
      t.client.readStream(stream, { fromRevision: 18446744073709551615n, direction: 'backwards', maxCount: Number.MAX_SAFE_INTEGER }),
    );
    expect(read).toHaveLength(2);
  });
});
