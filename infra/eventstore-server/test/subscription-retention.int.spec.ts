import { START, type ResolvedEvent } from '@eventstore/db-client';
import { collect, events, startTestServer, uniqueStream, type TestServer } from './harness';

type Subscription = AsyncIterable<ResolvedEvent> & { on(event: string, listener: () => void): unknown; unsubscribe(): Promise<void> };

/** Everything a subscription from the start delivers before caughtUp. */
async function history(subscription: Subscription): Promise<bigint[]> {
  const seen: bigint[] = [];
  let caughtUp = false;
  subscription.on('caughtUp', () => (caughtUp = true));
  const done = new Promise<void>((resolve) => subscription.on('caughtUp', () => resolve()));
  const reading = (async () => {
    for await (const event of subscription) {
      if (caughtUp) break;
      seen.push(event.event!.revision);
    }
  })();
  await done;
  await subscription.unsubscribe();
  await reading.catch(() => undefined);
  return seen;
}

describe('a stream subscription shows the history a read shows', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  const read = async (stream: string): Promise<bigint[]> =>
    (await collect(t.client.readStream(stream)).catch(() => [])).map((e) => e.event!.revision);
  const subscribed = (stream: string): Promise<bigint[]> => history(t.client.subscribeToStream(stream, { fromRevision: START }));

  it('does not give back events of a soft-deleted stream', async () => {
    const stream = uniqueStream();
    await t.client.appendToStream(stream, events(3));
    await t.client.deleteStream(stream);
    expect(await subscribed(stream)).toEqual([]);
    await t.client.appendToStream(stream, events(1));
    expect(await read(stream)).toEqual([3n]);
    expect(await subscribed(stream)).toEqual([3n]);
  });

  it('does not give back events beyond $maxCount', async () => {
    const stream = uniqueStream();
    await t.client.setStreamMetadata(stream, { maxCount: 2 });
    await t.client.appendToStream(stream, events(5));
    expect(await read(stream)).toEqual([3n, 4n]);
    expect(await subscribed(stream)).toEqual([3n, 4n]);
  });

  it('does not give back events before $tb', async () => {
    const stream = uniqueStream();
    await t.client.appendToStream(stream, events(5));
    await t.client.setStreamMetadata(stream, { truncateBefore: 3 });
    expect(await subscribed(stream)).toEqual(await read(stream));
    expect(await subscribed(stream)).toEqual([3n, 4n]);
  });

  it('does not give back events older than $maxAge', async () => {
    const stream = uniqueStream();
    await t.client.appendToStream(stream, events(2));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await t.client.appendToStream(stream, events(1));
    await t.client.setStreamMetadata(stream, { maxAge: 1 });
    expect(await read(stream)).toEqual([2n]);
    expect(await subscribed(stream)).toEqual([2n]);
  });

  it('from a revision below the retained ones starts at the first retained event', async () => {
    const stream = uniqueStream();
    await t.client.setStreamMetadata(stream, { maxCount: 3 });
    await t.client.appendToStream(stream, events(10));
    expect(await history(t.client.subscribeToStream(stream, { fromRevision: 1n }))).toEqual([7n, 8n, 9n]);
  });

  it('still delivers every live event after catching up', async () => {
    const stream = uniqueStream();
    await t.client.setStreamMetadata(stream, { maxCount: 1 });
    await t.client.appendToStream(stream, events(3));
    const subscription = t.client.subscribeToStream(stream, { fromRevision: START });
    const seen: bigint[] = [];
    const caughtUp = new Promise<void>((resolve) => subscription.on('caughtUp', () => resolve()));
    const reading = (async () => {
      for await (const event of subscription) {
        seen.push(event.event!.revision);
        if (seen.length === 3) break;
      }
    })();
    await caughtUp;
    await t.client.appendToStream(stream, events(2));
    await reading;
    await subscription.unsubscribe();
    expect(seen).toEqual([2n, 3n, 4n]);
  });
});
