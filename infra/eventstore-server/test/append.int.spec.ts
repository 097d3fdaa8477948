import { randomUUID } from 'node:crypto';
import {
  binaryEvent,
  DeadlineExceededError,
  jsonEvent,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
} from '@eventstore/db-client';
import { APPEND_PATHS, collect, events, startTestServer, uniqueStream, type TestServer } from './harness';

describe.each(APPEND_PATHS)('appending through %s', (_path, via) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ memory: true });
  });
  afterAll(() => t.stop());

  async function appendOrError(stream: string, expectedRevision: AppendExpectedRevision, count = 1): Promise<unknown> {
    return t.client.appendToStream(stream, events(count), { expectedRevision, ...via }).catch((e: unknown) => e);
  }

  it('numbers revisions from 0 and returns the position of the last event', async () => {
    const stream = uniqueStream();
    const result = await t.client.appendToStream(stream, events(3), { expectedRevision: 'no_stream', ...via });
    expect(result.success).toBe(true);
    expect(result.nextExpectedRevision).toBe(2n);
    const read = await collect(t.client.readStream(stream));
    expect(read.map((e) => e.event?.revision)).toEqual([0n, 1n, 2n]);
    expect(read[2].event?.position).toEqual(result.position);
    expect(read[0].event!.position!.commit < read[1].event!.position!.commit).toBe(true);
  });

  it('records when the event was created', async () => {
    const stream = uniqueStream();
    const before = Date.now();
    await t.client.appendToStream(stream, events(1), via);
    const after = Date.now();
    const [read] = await collect(t.client.readStream(stream));
    expect(read.event!.created.getTime()).toBeGreaterThanOrEqual(before);
    expect(read.event!.created.getTime()).toBeLessThanOrEqual(after);
  });

  it('keeps JSON data, binary data and custom metadata as sent', async () => {
    const stream = uniqueStream();
    const bytes = Uint8Array.from([0, 1, 2, 250]);
    await t.client.appendToStream(
      stream,
      [jsonEvent({ type: 'Json', data: { a: 'é' }, metadata: { correlation: 'c1' } }), binaryEvent({ type: 'Bin', data: bytes })],
      via,
    );
    const [json, bin] = await collect(t.client.readStream(stream));
    expect(json.event).toMatchObject({ type: 'Json', data: { a: 'é' }, metadata: { correlation: 'c1' }, isJson: true });
    expect(bin.event?.isJson).toBe(false);
    expect(Buffer.from(bin.event!.data as Uint8Array)).toEqual(Buffer.from(bytes));
  });

  describe('expected revision', () => {
    it('no_stream succeeds on a new stream and fails on an existing one', async () => {
      const stream = uniqueStream();
      expect(await appendOrError(stream, 'no_stream')).toMatchObject({ success: true });
      const error = await appendOrError(stream, 'no_stream');
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect(error).toMatchObject({ streamName: stream, actualVersion: 0n, expectedVersion: 'no_stream' });
    });

    it('stream_exists fails on a new stream and succeeds on an existing one', async () => {
      const stream = uniqueStream();
      expect(await appendOrError(stream, 'stream_exists')).toMatchObject({ actualVersion: 'no_stream', expectedVersion: 'stream_exists' });
      await appendOrError(stream, 'any');
      expect(await appendOrError(stream, 'stream_exists')).toMatchObject({ success: true, nextExpectedRevision: 1n });
    });

    it('an exact revision must be the last one', async () => {
      const stream = uniqueStream();
      await appendOrError(stream, 'no_stream', 2);
      expect(await appendOrError(stream, 0n)).toMatchObject({ actualVersion: 1n, expectedVersion: 0n });
      expect(await appendOrError(stream, 5n)).toBeInstanceOf(WrongExpectedVersionError);
      expect(await appendOrError(stream, 1n)).toMatchObject({ success: true, nextExpectedRevision: 2n });
    });

    it('any always appends', async () => {
      const stream = uniqueStream();
      await appendOrError(stream, 'any');
      expect(await appendOrError(stream, 'any')).toMatchObject({ success: true, nextExpectedRevision: 1n });
    });
  });

  describe('retries of the same event ids', () => {
    it('with any, the same events twice are written once', async () => {
      const stream = uniqueStream();
      const same = events(2);
      const first = await t.client.appendToStream(stream, same, via);
      const second = await t.client.appendToStream(stream, same, via);
      expect(second).toEqual(first);
      expect(await collect(t.client.readStream(stream))).toHaveLength(2);
    });

    it('with the revision the first attempt expected, the original result comes back', async () => {
      const stream = uniqueStream();
      const same = events(3);
      const first = await t.client.appendToStream(stream, same, { expectedRevision: 'no_stream', ...via });
      await t.client.appendToStream(stream, events(1), { expectedRevision: 2n, ...via });
      const retry = await t.client.appendToStream(stream, same, { expectedRevision: 'no_stream', ...via });
      expect(retry).toEqual(first);
      expect(await collect(t.client.readStream(stream))).toHaveLength(4);
    });

    it('a retry that only partly matches is a conflict', async () => {
      const stream = uniqueStream();
      const [a, b] = events(2);
      await t.client.appendToStream(stream, [a, b], { expectedRevision: 'no_stream', ...via });
      const error = await t.client
        .appendToStream(stream, [a, jsonEvent({ type: 'Other', data: {} })], { expectedRevision: 'no_stream', ...via })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
    });
  });

  it('refuses an append over the maximum size whole, writing nothing', async () => {
    const stream = uniqueStream();
    // Few large events rather than many small ones: the total is what counts, and a 40,000-event append
    // ran into the client's deadline on a loaded CI machine before the server could answer.
    const many = Array.from({ length: 12 }, () => jsonEvent({ type: 'Large', data: { text: 'x'.repeat(100_000) } }));
    const error = await t.client.appendToStream(stream, many, via).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaxAppendSizeExceededError);
    expect((error as MaxAppendSizeExceededError).maxAppendSize).toBe(1_048_576);
    const read = await collect(t.client.readStream(stream)).catch((e: unknown) => e);
    expect(read).toMatchObject({ type: 'stream-not-found' });
    expect(await appendOrError(stream, 'no_stream')).toMatchObject({ success: true });
  });

  it('refuses appends to a tombstoned stream', async () => {
    const stream = uniqueStream();
    await appendOrError(stream, 'any');
    await t.client.tombstoneStream(stream);
    expect(await appendOrError(stream, 'any')).toBeInstanceOf(StreamDeletedError);
  });
});

describe('a batch append past its deadline', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ memory: true });
  });
  afterAll(() => t.stop());

  it('fails with DeadlineExceeded and writes nothing', async () => {
    const stream = uniqueStream();
    await expect(t.client.appendToStream(stream, events(30_000), { deadline: 1 })).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(collect(t.client.readStream(stream))).rejects.toMatchObject({ type: 'stream-not-found' });
  });
});

describe('concurrent writers on a durable log', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  it('gives 20 writers racing on one revision exactly one winner per revision, without gaps', async () => {
    const stream = uniqueStream('race');
    const writers = 20;
    const perWriter = 2;
    const won: bigint[] = [];
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        let done = 0;
        while (done < perWriter) {
          const current = await t.client
            .readStream(stream, { direction: 'backwards', fromRevision: 'end', maxCount: 1 })
            [Symbol.asyncIterator]()
            .next()
            .then((r) => (r.done ? ('no_stream' as const) : r.value.event!.revision))
            .catch(() => 'no_stream' as const);
          const result = await t.client
            .appendToStream(stream, jsonEvent({ type: 'Won', data: { writer: w, id: randomUUID() } }), { expectedRevision: current })
            .catch((e: unknown) => e);
          if (result instanceof WrongExpectedVersionError) conflicts++;
          else {
            const expectedNext = current === 'no_stream' ? 0n : current + 1n;
            expect(result).toMatchObject({ success: true, nextExpectedRevision: expectedNext });
            won.push(expectedNext);
            done++;
          }
        }
      }),
    );
    const total = writers * perWriter;
    expect([...won].sort((a, b) => (a < b ? -1 : 1))).toEqual(Array.from({ length: total }, (_, i) => BigInt(i)));
    const read = await collect(t.client.readStream(stream));
    expect(read.map((e) => e.event?.revision)).toEqual(Array.from({ length: total }, (_, i) => BigInt(i)));
    expect(conflicts).toBeGreaterThan(0);
  });
});
