import { binaryEvent, jsonEvent, StreamDeletedError, StreamNotFoundError, type ResolvedEvent } from '@eventstore/db-client';
import { collect, events, startTestServer, uniqueStream, type TestServer } from './harness';

describe('reading', () => {
  let t: TestServer;
  let stream: string;
  beforeAll(async () => {
    t = await startTestServer({ memory: true });
    stream = uniqueStream();
    await t.client.appendToStream(stream, events(5));
    await t.client.appendToStream(uniqueStream('other'), events(3));
  });
  afterAll(() => t.stop());

  const revisions = (read: ResolvedEvent[]): (bigint | undefined)[] => read.map((e) => e.event?.revision);

  describe('a stream', () => {
    it('forwards from the start', async () => {
      expect(revisions(await collect(t.client.readStream(stream)))).toEqual([0n, 1n, 2n, 3n, 4n]);
    });

    it('forwards from a revision, inclusive, up to a count', async () => {
      expect(revisions(await collect(t.client.readStream(stream, { fromRevision: 2n, maxCount: 2 })))).toEqual([2n, 3n]);
    });

    it('backwards from the end', async () => {
      expect(revisions(await collect(t.client.readStream(stream, { direction: 'backwards', fromRevision: 'end' })))).toEqual([
        4n,
        3n,
        2n,
        1n,
        0n,
      ]);
    });

    it('backwards from a revision, inclusive', async () => {
      expect(revisions(await collect(t.client.readStream(stream, { direction: 'backwards', fromRevision: 1n })))).toEqual([1n, 0n]);
    });

    it('past its end gives nothing', async () => {
      expect(await collect(t.client.readStream(stream, { fromRevision: 99n }))).toEqual([]);
    });

    it('that does not exist is StreamNotFound', async () => {
      await expect(collect(t.client.readStream(uniqueStream('missing')))).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('that is tombstoned is StreamDeleted', async () => {
      const doomed = uniqueStream();
      await t.client.appendToStream(doomed, events(1));
      await t.client.tombstoneStream(doomed);
      await expect(collect(t.client.readStream(doomed))).rejects.toBeInstanceOf(StreamDeletedError);
    });

    it('fills in positions that match $all', async () => {
      const fromStream = await collect(t.client.readStream(stream));
      const fromAll = (await collect(t.client.readAll())).filter((e) => e.event?.streamId === stream);
      expect(fromStream.map((e) => e.event?.position)).toEqual(fromAll.map((e) => e.event?.position));
    });
  });

  describe('$all', () => {
    it('holds a system event before any user event', async () => {
      const [first] = await collect(t.client.readAll({ maxCount: 1 }));
      expect(first.event?.streamId.startsWith('$')).toBe(true);
      expect(first.event?.type.startsWith('$')).toBe(true);
    });

    it('forwards from a position includes that position', async () => {
      const all = await collect(t.client.readAll());
      const third = all[2].event!.position!;
      const from = await collect(t.client.readAll({ fromPosition: third, maxCount: 2 }));
      expect(from.map((e) => e.event?.id)).toEqual([all[2].event?.id, all[3].event?.id]);
    });

    it('backwards from a position excludes that position', async () => {
      const all = await collect(t.client.readAll());
      const third = all[2].event!.position!;
      const back = await collect(t.client.readAll({ direction: 'backwards', fromPosition: third }));
      expect(back.map((e) => e.event?.id)).toEqual([all[1].event?.id, all[0].event?.id]);
    });

    it('backwards from the end is forwards reversed, with strictly rising positions', async () => {
      const forwards = await collect(t.client.readAll());
      const backwards = await collect(t.client.readAll({ direction: 'backwards', fromPosition: 'end' }));
      expect(backwards.map((e) => e.event?.id)).toEqual(forwards.map((e) => e.event?.id).reverse());
      const commits = forwards.map((e) => e.event!.position!.commit);
      expect(commits.every((c, i) => i === 0 || c > commits[i - 1])).toBe(true);
      expect(forwards.every((e) => e.commitPosition === e.event?.position?.commit)).toBe(true);
    });
  });

  describe('links', () => {
    it('resolve to their target when asked, else come back as they are', async () => {
      const links = uniqueStream('links');
      await t.client.appendToStream(links, binaryEvent({ type: '$>', data: Buffer.from(`1@${stream}`) }));
      const [resolved] = await collect(t.client.readStream(links, { resolveLinkTos: true }));
      const [target] = await collect(t.client.readStream(stream, { fromRevision: 1n, maxCount: 1 }));
      expect(resolved.event).toEqual(target.event);
      expect(resolved.link?.type).toBe('$>');
      const [raw] = await collect(t.client.readStream(links));
      expect(raw.event?.type).toBe('$>');
      expect(raw.link).toBeUndefined();
    });

    it('to a missing target give only the link', async () => {
      const links = uniqueStream('links');
      await t.client.appendToStream(links, binaryEvent({ type: '$>', data: Buffer.from('7@nowhere') }));
      const [resolved] = await collect(t.client.readStream(links, { resolveLinkTos: true }));
      expect(resolved.event).toBeUndefined();
      expect(resolved.link?.type).toBe('$>');
    });
  });

  it('can read a large stream with flow control', async () => {
    const big = uniqueStream('big');
    for (let i = 0; i < 10; i++)
      await t.client.appendToStream(
        big,
        Array.from({ length: 500 }, (_, j) => jsonEvent({ type: 'Bulk', data: { i, j } })),
      );
    let n = 0;
    for await (const e of t.client.readStream(big)) {
      expect(e.event?.revision).toBe(BigInt(n++));
    }
    expect(n).toBe(5000);
  });
});
