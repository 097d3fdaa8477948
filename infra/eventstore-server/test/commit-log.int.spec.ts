import { appendFileSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, events, startTestServer, tempDir, uniqueStream } from './harness';

describe('the event log on disk', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = tempDir('kairos-esdb-log-');
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  async function writeSome(stream: string): Promise<number> {
    const t = await startTestServer({ dataDir });
    await t.client.appendToStream(stream, events(2));
    await t.client.appendToStream(stream, events(3));
    await t.stop();
    return statSync(join(dataDir, 'events.log')).size;
  }

  it('cuts off a torn tail and keeps everything before it', async () => {
    const stream = uniqueStream();
    const size = await writeSome(stream);
    appendFileSync(join(dataDir, 'events.log'), Buffer.from([200, 1, 0, 0, 1, 2, 3]));
    const t = await startTestServer({ dataDir });
    try {
      expect(t.server.recoveredTruncatedBytes).toBe(7);
      expect(await collect(t.client.readStream(stream))).toHaveLength(5);
      expect(statSync(join(dataDir, 'events.log')).size).toBe(size);
    } finally {
      await t.stop();
    }
  });

  it('never shows part of an append whose end was lost', async () => {
    const stream = uniqueStream();
    const size = await writeSome(stream);
    // Cutting into the last append (3 events) removes its last record: the whole append must go.
    truncateSync(join(dataDir, 'events.log'), size - 10);
    const t = await startTestServer({ dataDir });
    try {
      const read = await collect(t.client.readStream(stream));
      expect(read.map((e) => e.event?.revision)).toEqual([0n, 1n]);
      const next = await t.client.appendToStream(stream, events(1), { expectedRevision: 1n });
      expect(next.nextExpectedRevision).toBe(2n);
    } finally {
      await t.stop();
    }
  });

  it('rejects a record whose checksum does not match', async () => {
    const stream = uniqueStream();
    const size = await writeSome(stream);
    const path = join(dataDir, 'events.log');
    const bytes = readFileSync(path);
    bytes[size - 3] ^= 0xff;
    writeFileSync(path, bytes);
    const t = await startTestServer({ dataDir });
    try {
      expect(await collect(t.client.readStream(stream))).toHaveLength(2);
    } finally {
      await t.stop();
    }
  });
});
