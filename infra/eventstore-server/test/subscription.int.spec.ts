import {
  eventTypeFilter,
  jsonEvent,
  START,
  END,
  streamNameFilter,
  StreamDeletedError,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { events, startTestServer, uniqueStream, type TestServer } from './harness';

type Subscription = AsyncIterable<ResolvedEvent> & {
  on(event: string, listener: (...args: never[]) => void): unknown;
  unsubscribe(): Promise<void>;
};

/** Reads a subscription until `until` says stop, recording where caughtUp arrived among the events. */
async function consume(
  subscription: Subscription,
  until: (seen: ResolvedEvent[]) => boolean,
): Promise<{ seen: ResolvedEvent[]; caughtUpAt: number[] }> {
  const seen: ResolvedEvent[] = [];
  const caughtUpAt: number[] = [];
  subscription.on('caughtUp', () => caughtUpAt.push(seen.length));
  if (until(seen)) {
    await subscription.unsubscribe();
    return { seen, caughtUpAt };
  }
  for await (const event of subscription) {
    seen.push(event);
    if (until(seen)) break;
  }
  await subscription.unsubscribe();
  return { seen, caughtUpAt };
}

function waitForCaughtUp(subscription: Subscription): Promise<void> {
  return new Promise((resolve) => subscription.on('caughtUp', () => resolve()));
}

describe('catch-up subscriptions', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  describe('to a stream', () => {
    it('from the start delivers history, then caughtUp once, then live events', async () => {
      const stream = uniqueStream();
      await t.client.appendToStream(stream, events(4));
      const subscription = t.client.subscribeToStream(stream, { fromRevision: START });
      const live = waitForCaughtUp(subscription).then(() => t.client.appendToStream(stream, events(2, 'Live')));
      const { seen, caughtUpAt } = await consume(subscription, (s) => s.length === 6);
      await live;
      expect(seen.map((e) => e.event?.revision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
      expect(caughtUpAt).toEqual([4]);
    });

    it('from a revision starts after it', async () => {
      const stream = uniqueStream();
      await t.client.appendToStream(stream, events(4));
      const subscription = t.client.subscribeToStream(stream, { fromRevision: 2n });
      const caughtUp = waitForCaughtUp(subscription);
      const first = await subscription[Symbol.asyncIterator]().next();
      await caughtUp;
      await subscription.unsubscribe();
      expect(first.value.event?.revision).toBe(3n);
    });

    it('from the end only sees what comes later', async () => {
      const stream = uniqueStream();
      await t.client.appendToStream(stream, events(3));
      const subscription = t.client.subscribeToStream(stream, { fromRevision: END });
      const live = waitForCaughtUp(subscription).then(() => t.client.appendToStream(stream, events(1, 'Later')));
      const { seen, caughtUpAt } = await consume(subscription, (s) => s.length === 1);
      await live;
      expect(seen.map((e) => [e.event?.revision, e.event?.type])).toEqual([[3n, 'Later']]);
      expect(caughtUpAt).toEqual([0]);
    });

    it('to a stream that does not exist yet waits for it', async () => {
      const stream = uniqueStream();
      const subscription = t.client.subscribeToStream(stream);
      const live = waitForCaughtUp(subscription).then(() => t.client.appendToStream(stream, events(1)));
      const { seen } = await consume(subscription, (s) => s.length === 1);
      await live;
      expect(seen[0].event?.revision).toBe(0n);
    });

    it('ends with StreamDeleted when the stream is tombstoned', async () => {
      const stream = uniqueStream();
      await t.client.appendToStream(stream, events(1));
      const subscription = t.client.subscribeToStream(stream);
      const types: string[] = [];
      const failure = new Promise<unknown>((resolve) => subscription.on('error', resolve));
      subscription.on('data', (e: ResolvedEvent) => types.push(e.event!.type));
      await waitForCaughtUp(subscription);
      await t.client.tombstoneStream(stream);
      expect(await failure).toBeInstanceOf(StreamDeletedError);
      expect(types).toEqual(['Happened', '$streamDeleted']);
    });
  });

  describe('to $all', () => {
    it('from a position excludes the event at that position', async () => {
      const stream = uniqueStream();
      const result = await t.client.appendToStream(stream, events(2));
      const subscription = t.client.subscribeToAll({ fromPosition: result.position! });
      const live = waitForCaughtUp(subscription).then(() => t.client.appendToStream(stream, events(1, 'After')));
      const { seen } = await consume(subscription, (s) => s.some((e) => e.event?.streamId === stream));
      await live;
      expect(seen.filter((e) => e.event?.streamId === stream).map((e) => e.event?.type)).toEqual(['After']);
    });

    it('filters by stream prefix and by event type', async () => {
      const category = uniqueStream('cat');
      await t.client.appendToStream(`${category}-1`, events(2, 'Wanted'));
      await t.client.appendToStream(uniqueStream('elsewhere'), events(2, 'Wanted'));
      await t.client.appendToStream(`${category}-2`, events(1, 'Other'));
      const byStream = await consume(
        t.client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [`${category}-`] }) }),
        (s) => s.length === 3,
      );
      expect(byStream.seen.map((e) => e.event?.streamId)).toEqual([`${category}-1`, `${category}-1`, `${category}-2`]);
      const typeName = uniqueStream('Type');
      await t.client.appendToStream(uniqueStream(), [jsonEvent({ type: typeName, data: {} })]);
      const byType = await consume(
        t.client.subscribeToAll({ fromPosition: START, filter: eventTypeFilter({ prefixes: [typeName] }) }),
        (s) => s.length === 1,
      );
      expect(byType.seen[0].event?.type).toBe(typeName);
      const byRegex = await consume(
        t.client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ regex: `^${category}-2$` }) }),
        (s) => s.length === 1,
      );
      expect(byRegex.seen[0].event?.streamId).toBe(`${category}-2`);
    });

    it('sends checkpoints at the interval and at the end of catch-up', async () => {
      const local = await startTestServer({ memory: true });
      try {
        const category = uniqueStream('chk');
        for (let i = 0; i < 384; i += 64) await local.client.appendToStream(`${category}-1`, events(64));
        const checkpoints: Position[] = [];
        const subscription = local.client.subscribeToAll({
          fromPosition: START,
          filter: streamNameFilter({
            prefixes: [`${category}-`],
            checkpointInterval: 2,
            checkpointReached: (_s: unknown, position: Position) => {
              checkpoints.push(position);
            },
          }),
        });
        const seen: ResolvedEvent[] = [];
        subscription.on('data', (e: ResolvedEvent) => seen.push(e));
        await waitForCaughtUp(subscription);
        await subscription.unsubscribe();
        expect(seen).toHaveLength(384);
        expect(checkpoints.length).toBeGreaterThanOrEqual(6);
        expect(checkpoints.length).toBeLessThanOrEqual(7);
        expect(checkpoints.every((c, i) => i === 0 || c.commit >= checkpoints[i - 1].commit)).toBe(true);
      } finally {
        await local.stop();
      }
    });

    it('loses and repeats nothing while writers append during its catch-up', async () => {
      const category = uniqueStream('live');
      const writers = 5;
      const perWriter = 40;
      await Promise.all(Array.from({ length: writers }, (_, w) => t.client.appendToStream(`${category}-${w}`, events(20, 'Before'))));
      const subscription = t.client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [`${category}-`] }) });
      const expected = writers * (20 + perWriter);
      const writing = Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i++) await t.client.appendToStream(`${category}-${w}`, events(1, 'During', i));
        }),
      );
      const { seen, caughtUpAt } = await consume(subscription, (s) => s.length === expected);
      await writing;
      expect(caughtUpAt).toHaveLength(1);
      const ids = seen.map((e) => e.event!.id);
      expect(new Set(ids).size).toBe(expected);
      const commits = seen.map((e) => e.event!.position!.commit);
      expect(commits.every((c, i) => i === 0 || c > commits[i - 1])).toBe(true);
      for (let w = 0; w < writers; w++) {
        const revisions = seen.filter((e) => e.event?.streamId === `${category}-${w}`).map((e) => e.event!.revision);
        expect(revisions).toEqual(Array.from({ length: 20 + perWriter }, (_, i) => BigInt(i)));
      }
    });

    it('includes system events when unfiltered', async () => {
      const { seen } = await consume(t.client.subscribeToAll({ fromPosition: START }), (s) => s.length === 1);
      expect(seen[0].event?.type.startsWith('$')).toBe(true);
    });
  });
});
