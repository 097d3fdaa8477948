import { appendFileSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { START } from '@eventstore/db-client';
import { collect, events, startTestServer, tempDir, uniqueStream } from './harness';

const SEGMENT = 4 * 1024;

describe('a log of many segments', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = tempDir('kairos-esdb-seg-');
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  async function fill(streams: string[], rounds: number): Promise<void> {
    const t = await startTestServer({ dataDir, segmentBytes: SEGMENT });
    try {
      for (let r = 0; r < rounds; r++) for (const s of streams) await t.client.appendToStream(s, events(3, 'Filled', r * 3));
    } finally {
      await t.stop();
    }
  }

  it('rolls into segments with index files and reads every stream back whole after a restart', async () => {
    const streams = [uniqueStream('a'), uniqueStream('b'), uniqueStream('c')];
    await fill(streams, 40);
    const files = readdirSync(dataDir);
    expect(files.filter((f) => /^events-\d{20}\.log$/.test(f)).length).toBeGreaterThan(5);
    expect(files.filter((f) => f.endsWith('.idx')).length).toBeGreaterThan(4);
    const t = await startTestServer({ dataDir, segmentBytes: SEGMENT });
    try {
      for (const s of streams) {
        const read = await collect(t.client.readStream(s));
        expect(read.map((e) => e.event?.revision)).toEqual(Array.from({ length: 120 }, (_, i) => BigInt(i)));
        const back = await collect(t.client.readStream(s, { direction: 'backwards', fromRevision: 'end', maxCount: 5 }));
        expect(back.map((e) => e.event?.revision)).toEqual([119n, 118n, 117n, 116n, 115n]);
      }
      const all = await collect(t.client.readAll());
      const backwards = await collect(t.client.readAll({ direction: 'backwards', fromPosition: 'end' }));
      expect(all.length).toBe(360 + 1);
      expect(backwards.map((e) => e.event?.id)).toEqual(all.map((e) => e.event?.id).reverse());
      const middle = all[200].event!.position!;
      const fromMiddle = await collect(t.client.readAll({ fromPosition: middle, maxCount: 2 }));
      expect(fromMiddle[0].event?.id).toBe(all[200].event?.id);
      const subscription = t.client.subscribeToStream(streams[1], { fromRevision: START });
      const seen: bigint[] = [];
      for await (const e of subscription) {
        seen.push(e.event!.revision);
        if (seen.length === 120) break;
      }
      await subscription.unsubscribe();
      expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => BigInt(i)));
    } finally {
      await t.stop();
    }
  });

  it('rebuilds a lost index file and cuts a torn tail off the last segment', async () => {
    const stream = uniqueStream();
    await fill([stream], 60);
    const idx = readdirSync(dataDir).filter((f) => f.endsWith('.idx')).sort();
    unlinkSync(join(dataDir, idx[1]));
    // The last segment is the one with the highest starting position (`events.log` starts at 0).
    const segments = readdirSync(dataDir).filter((f) => /^events-\d{20}\.log$/.test(f)).sort();
    appendFileSync(join(dataDir, segments[segments.length - 1]), Buffer.from([99, 0, 0, 0, 1, 2, 3, 4, 5]));
    const t = await startTestServer({ dataDir, segmentBytes: SEGMENT });
    try {
      expect(t.server.recoveredTruncatedBytes).toBe(9);
      expect(readdirSync(dataDir)).toContain(idx[1]);
      expect((await collect(t.client.readStream(stream))).map((e) => e.event?.revision)).toEqual(Array.from({ length: 180 }, (_, i) => BigInt(i)));
      const next = await t.client.appendToStream(stream, events(1), { expectedRevision: 179n });
      expect(next.nextExpectedRevision).toBe(180n);
    } finally {
      await t.stop();
    }
  });
});
