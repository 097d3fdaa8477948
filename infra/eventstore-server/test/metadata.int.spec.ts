import { StreamDeletedError, StreamNotFoundError, WrongExpectedVersionError } from '@eventstore/db-client';
import { collect, events, startTestServer, uniqueStream, type TestServer } from './harness';

describe('deleting and stream metadata', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ memory: true });
  });
  afterAll(() => t.stop());

  describe('a soft delete', () => {
    it('makes reads say not found, and a later append revives the stream at the next revision', async () => {
      const stream = uniqueStream();
      await t.client.appendToStream(stream, events(3));
      await t.client.deleteStream(stream);
      await expect(collect(t.client.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);
      const revived = await t.client.appendToStream(stream, events(1), { expectedRevision: 'no_stream' });
      expect(revived.nextExpectedRevision).toBe(3n);
      const read = await collect(t.client.readStream(stream));
      expect(read.map((e) => e.event?.revision)).toEqual([3n]);
      expect((await t.client.getStreamMetadata(stream)).metadata?.truncateBefore).toBe(3);
    });

    it('checks the expected revision', async () => {
      const stream = uniqueStream();
      await t.client.appendToStream(stream, events(2));
      await expect(t.client.deleteStream(stream, { expectedRevision: 0n })).rejects.toMatchObject({
        expectedVersion: 0n,
        actualVersion: 1n,
      });
      await expect(t.client.deleteStream(stream, { expectedRevision: 1n })).resolves.toBeDefined();
    });

    it('of a stream that never existed is a wrong expected version', async () => {
      await expect(t.client.deleteStream(uniqueStream())).rejects.toBeInstanceOf(WrongExpectedVersionError);
    });
  });

  describe('a tombstone', () => {
    it('ends the stream for good and shows in $all', async () => {
      const stream = uniqueStream();
      await t.client.appendToStream(stream, events(1));
      const result = await t.client.tombstoneStream(stream);
      await expect(collect(t.client.readStream(stream))).rejects.toBeInstanceOf(StreamDeletedError);
      await expect(t.client.appendToStream(stream, events(1))).rejects.toBeInstanceOf(StreamDeletedError);
      await expect(t.client.tombstoneStream(stream)).rejects.toBeInstanceOf(StreamDeletedError);
      const tombstone = (await collect(t.client.readAll({ direction: 'backwards', fromPosition: 'end' }))).find(
        (e) => e.event?.streamId === stream,
      );
      expect(tombstone?.event).toMatchObject({ type: '$streamDeleted', revision: 9223372036854775807n, position: result.position });
    });

    it('of a stream that never existed succeeds with no_stream', async () => {
      await expect(t.client.tombstoneStream(uniqueStream(), { expectedRevision: 'no_stream' })).resolves.toBeDefined();
    });
  });

  describe('metadata', () => {
    it('is read back as set', async () => {
      const stream = uniqueStream();
      await t.client.setStreamMetadata(stream, { maxCount: 5, custom: 'kept' } as never);
      const read = await t.client.getStreamMetadata(stream);
      expect(read.metadata).toMatchObject({ maxCount: 5, custom: 'kept' });
    });

    it('of a stream without any is just its name', async () => {
      const stream = uniqueStream();
      expect(await t.client.getStreamMetadata(stream)).toEqual({ streamName: stream });
    });

    it('$maxCount keeps only the newest events', async () => {
      const stream = uniqueStream();
      await t.client.setStreamMetadata(stream, { maxCount: 2 });
      await t.client.appendToStream(stream, events(20));
      const read = await collect(t.client.readStream(stream));
      expect(read.map((e) => e.event?.revision)).toEqual([18n, 19n]);
    });

    it('$tb hides events before it', async () => {
      const stream = uniqueStream();
      await t.client.appendToStream(stream, events(5));
      await t.client.setStreamMetadata(stream, { truncateBefore: 3 });
      expect((await collect(t.client.readStream(stream))).map((e) => e.event?.revision)).toEqual([3n, 4n]);
    });

    it('$maxAge hides events older than it', async () => {
      const stream = uniqueStream();
      await t.client.appendToStream(stream, events(2));
      await t.client.setStreamMetadata(stream, { maxAge: 3600 });
      expect(await collect(t.client.readStream(stream))).toHaveLength(2);
    });

    it('lets no_stream append to a stream that only has metadata', async () => {
      const stream = uniqueStream();
      await t.client.setStreamMetadata(stream, { maxCount: 3 });
      await expect(t.client.appendToStream(stream, events(1), { expectedRevision: 'no_stream' })).resolves.toMatchObject({ success: true });
    });
  });
});
