import { rmSync } from 'node:fs';
import { EventStoreDBClient } from '@eventstore/db-client';
import { exited, freePort, startChildServer } from './child-server';
import { collect, events, tempDir, uniqueStream } from './harness';

describe('a server killed with SIGKILL', () => {
  const dataDir = tempDir('kairos-esdb-kill-');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every acknowledged append, and revisions and positions continue after restart', async () => {
    const port = await freePort();
    const args = ['--port', String(port), '--data', dataDir];
    const first = await startChildServer(args);
    const client = EventStoreDBClient.connectionString(first.connectionString);
    const stream = uniqueStream('durable');
    const others = Array.from({ length: 10 }, (_, i) => `${stream}-w${i}`);
    await client.appendToStream(stream, events(3), { expectedRevision: 'no_stream' });
    // Concurrent writers share fsyncs; every one of them was acknowledged before the kill.
    const acknowledged = await Promise.all(others.map((s) => client.appendToStream(s, events(5))));
    const last = await client.appendToStream(stream, events(2), { expectedRevision: 2n });
    first.process.kill('SIGKILL');
    await exited(first.process);
    await client.dispose();

    const second = await startChildServer(args);
    const again = EventStoreDBClient.connectionString(second.connectionString);
    try {
      const read = await collect(again.readStream(stream));
      expect(read.map((e) => e.event?.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
      expect(read[4].event?.position).toEqual(last.position);
      for (const [i, s] of others.entries()) {
        const r = await collect(again.readStream(s));
        expect(r).toHaveLength(5);
        expect(r[4].event?.position).toEqual(acknowledged[i].position);
      }
      const next = await again.appendToStream(stream, events(1), { expectedRevision: 4n });
      expect(next.nextExpectedRevision).toBe(5n);
      expect(next.position!.commit > last.position!.commit).toBe(true);
      await expect(again.appendToStream(stream, events(1), { expectedRevision: 4n })).rejects.toMatchObject({ actualVersion: 5n });
    } finally {
      await again.dispose();
      second.process.kill('SIGTERM');
      expect(await exited(second.process)).toEqual({ code: 0, signal: null });
    }
  });
});
