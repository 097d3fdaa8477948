import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { jsonEvent } from '@eventstore/db-client';
import { APPEND_PATHS, collect, startTestServer, tempDir, uniqueStream } from './harness';

/**
 * A full disk (issue 19): the server refuses writes with UNAVAILABLE and a reason that says so,
 * keeps serving reads, takes writes again as soon as there is room (no restart), and loses nothing
 * it acknowledged; what it refused is not on disk, so a retry of the same event is written once.
 * On a 4 MiB tmpfs the test mounts (as root; CI runs as root).
 */
describe('the event store on a full disk', () => {
  const mountpoint = tempDir('kairos-esdb-full-');
  const filler = join(mountpoint, 'filler');

  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountpoint]);
  });

  afterAll(() => {
    execFileSync('umount', ['-l', mountpoint]);
    rmSync(mountpoint, { recursive: true, force: true });
  });

  const fill = () => {
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      // "No space left on device" is the point
    }
  };

  const payload = (bytes: number, n: number) => ({ n, pad: 'x'.repeat(bytes) });
  const seen = async (t: Awaited<ReturnType<typeof startTestServer>>, stream: string) =>
    (await collect(t.client.readStream(stream))).map((e) => (e.event!.data as { n: number }).n);

  // The refused append lands in the segment being written, or is the first of a new segment
  // (it does not fit in what is left of a 96 KiB segment).
  const cases = [
    ['the current segment', undefined, 8 * 1024],
    ['a new segment', 96 * 1024, 128 * 1024],
  ] as const;

  for (const [where, segmentBytes, refusedBytes] of cases) {
    for (const [path, options] of APPEND_PATHS) {
      it(`refuses writes while full and goes on when there is room, nothing acknowledged lost (${where}, ${path})`, async () => {
        const dataDir = join(mountpoint, `data-${Math.random().toString(36).slice(2)}`);
        mkdirSync(dataDir);
        const said: string[] = [];
        let t = await startTestServer({ dataDir, resumeCheckMs: 100, onWriteState: (m) => void said.push(m), ...(segmentBytes ? { segmentBytes } : {}) });
        const stream = uniqueStream('full');
        try {
          const acknowledged: number[] = [];
          for (let n = 0; n < 10; n++) {
            await t.client.appendToStream(stream, jsonEvent({ type: 'Happened', data: payload(1_000, n) }), options);
            acknowledged.push(n);
          }

          // A live subscription from before the disk filled sees what is written after it had room.
          const live: number[] = [];
          const subscription = t.client.subscribeToStream(stream, { fromRevision: 'start' });
          subscription.on('data', (e) => void live.push((e.event!.data as { n: number }).n));

          fill();
          const refused = jsonEvent({ type: 'Happened', data: payload(refusedBytes, 10) });
          const refusal = await t.client.appendToStream(stream, refused, { ...options, expectedRevision: 9n }).then(
            () => 'accepted',
            (error: Error) => error.message,
          );
          expect(refusal).toMatch(/disk is full/);
          // Refused again while full (not a one-off), and reads go on.
          await expect(t.client.appendToStream(stream, jsonEvent({ type: 'Happened', data: payload(refusedBytes, 11) }), options)).rejects.toThrow(/disk is full/);
          expect(await seen(t, stream)).toEqual(acknowledged);
          expect(said[0]).toMatch(/disk is full: writes are refused until there is room/);

          rmSync(filler);
          // The same event again (same id, same expected revision): written once, now that there is room.
          const retried = await waitFor(() => t.client.appendToStream(stream, refused, { ...options, expectedRevision: 9n }), 30_000);
          expect(retried.nextExpectedRevision).toBe(10n);
          acknowledged.push(10);
          for (let n = 11; n < 15; n++) {
            await t.client.appendToStream(stream, jsonEvent({ type: 'Happened', data: payload(1_000, n) }), options);
            acknowledged.push(n);
          }
          expect(await seen(t, stream)).toEqual(acknowledged);
          expect(said.at(-1)).toMatch(/writes resume/);
          await waitFor(async () => {
            if (live.length < acknowledged.length) throw new Error(`the subscription saw ${live.length} events`);
          }, 30_000);
          expect(live).toEqual(acknowledged);
          await subscription.unsubscribe();

          // Across a restart: the same events, and no unacknowledged tail left on disk to cut.
          await t.stop();
          t = await startTestServer({ dataDir, ...(segmentBytes ? { segmentBytes } : {}) });
          expect(t.server.recoveredTruncatedBytes).toBe(0);
          expect(await seen(t, stream)).toEqual(acknowledged);
          if (segmentBytes) expect(readdirSync(dataDir).filter((f) => /^events-\d+\.log$/.test(f)).length).toBeGreaterThan(0);
        } finally {
          rmSync(filler, { force: true });
          await t.stop();
          rmSync(dataDir, { recursive: true, force: true });
        }
      }, 60_000);
    }
  }
});

/** Retries `attempt` until it succeeds (the server looks for room every 100 ms). */
async function waitFor<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
