import { randomUUID } from 'node:crypto';
import { openSync, readdirSync, readFileSync, readSync, rmSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BloomFilter } from '../src/storage/bloom-filter';
import { crc32 } from '../src/storage/crc32';
import { EventStore, type StreamRead } from '../src/storage/event-store';
import type { NewEvent } from '../src/storage/event-record';
import { streamHash } from '../src/storage/stream-index';
import { tempDir } from './harness';

const SEGMENT = 4 * 1024;

function newEvents(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    type: 'Filled',
    isJson: true,
    data: Buffer.from(JSON.stringify({ n: i, pad: 'x'.repeat(100) }), 'utf8'),
    metadata: Buffer.alloc(0),
  }));
}

function revisions(read: StreamRead): number[] {
  if (read.kind !== 'events') throw new Error(`expected events, got ${read.kind}`);
  return [...read.records].map((r) => r.revision);
}

function indexFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.idx'))
    .sort();
}

describe('Bloom filter of stream hashes', () => {
  it('never says no for a hash it holds (no false negatives), and rarely says yes for one it does not', () => {
    const held = Array.from({ length: 20_000 }, (_, i) => streamHash(`request-${i}-${randomUUID()}`));
    const filter = BloomFilter.of(held, held.length);
    expect(held.every((h) => filter.mightContain(h))).toBe(true);
    const others = Array.from({ length: 20_000 }, (_, i) => streamHash(`other-${i}-${randomUUID()}`));
    const falsePositives = others.filter((h) => filter.mightContain(h)).length;
    // 10–20 bits per key and 7 probes: about 1 % at most; 3 % leaves room for chance.
    expect(falsePositives).toBeLessThan(others.length * 0.03);
    expect(filter.byteLength).toBeLessThanOrEqual((20_000 * 20) / 8);
  });

  it('holds every hash however few keys it was sized for', () => {
    const filter = BloomFilter.forKeys(1);
    const hashes = Array.from({ length: 500 }, (_, i) => streamHash(`s${i}`));
    for (const h of hashes) filter.add(h);
    expect(hashes.every((h) => filter.mightContain(h))).toBe(true);
  });

  it('refuses a word count that is not a power of two', () => {
    expect(() => new BloomFilter(new Uint32Array(3))).toThrow(/power-of-two/);
  });
});

describe('stream lookups across sealed segments', () => {
  let dataDir: string;
  let store: EventStore | null = null;
  beforeEach(() => {
    dataDir = tempDir('kairos-esdb-bloom-');
  });
  afterEach(async () => {
    await store?.close();
    store = null;
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(): Promise<EventStore> {
    await store?.close();
    store = EventStore.open({ dataDir, segmentBytes: SEGMENT }).store;
    await store.seedIfEmpty();
    return store;
  }

  /** Streams of 3 events each, enough to fill many 4 KiB segments. */
  async function fill(s: EventStore, prefix: string, streams: number): Promise<string[]> {
    const names = Array.from({ length: streams }, (_, i) => `${prefix}-${i}`);
    for (const name of names) {
      const outcome = await s.append(name, { kind: 'no_stream' }, newEvents(3));
      expect(outcome.ok).toBe(true);
    }
    return names;
  }

  it('creates new streams without reading the index file of any segment whose filter says no', async () => {
    let s = await open();
    await fill(s, 'old', 120);
    s = await open();
    const sealed = s.indexStats().sealedSegments;
    expect(sealed).toBeGreaterThan(10);
    expect(s.indexStats().filterBytes).toBeGreaterThan(0);
    const before = s.indexStats();
    await fill(s, 'new', 50);
    const after = s.indexStats();
    const reads = after.sealedReads - before.sealedReads;
    const skips = after.sealedSkips - before.sealedSkips;
    // Each new stream (and its metastream) is looked up in every sealed segment; nearly all of those
    // lookups must be answered by the filters. Without them, every lookup reads a file.
    expect(skips).toBeGreaterThanOrEqual(50 * sealed);
    expect(reads).toBeLessThan(skips / 20);
  });

  it('still finds a stream that lives only in an old sealed segment after a restart, and keeps its revisions', async () => {
    let s = await open();
    const [early] = await fill(s, 'early', 1);
    await fill(s, 'later', 120);
    s = await open();
    expect(s.indexStats().sealedSegments).toBeGreaterThan(10);
    expect(revisions(s.readStream(early, { kind: 'start' }, false, 100))).toEqual([0, 1, 2]);
    const refused = await s.append(early, { kind: 'no_stream' }, newEvents(1));
    expect(refused).toEqual({ ok: false, refusal: expect.objectContaining({ kind: 'wrong_expected_version', current: 2 }) });
    const next = await s.append(early, { kind: 'revision', revision: 2n }, newEvents(1));
    expect(next).toEqual(expect.objectContaining({ ok: true, revision: 3 }));
  });

  it('refuses writes to a tombstoned stream whose tombstone is in an old sealed segment', async () => {
    let s = await open();
    const [gone] = await fill(s, 'gone', 1);
    expect((await s.tombstone(gone, { kind: 'any' })).ok).toBe(true);
    await fill(s, 'after', 120);
    s = await open();
    expect(s.readStream(gone, { kind: 'start' }, false, 10)).toEqual({ kind: 'deleted' });
    expect(await s.append(gone, { kind: 'any' }, newEvents(1))).toEqual({ ok: false, refusal: { kind: 'stream_deleted' } });
    expect(await s.append(gone, { kind: 'no_stream' }, newEvents(1))).toEqual({ ok: false, refusal: { kind: 'stream_deleted' } });
  });

  it('keeps a soft-deleted stream deleted across segments and a restart (its metastream is found)', async () => {
    let s = await open();
    const [soft] = await fill(s, 'soft', 1);
    expect((await s.delete(soft, { kind: 'any' })).ok).toBe(true);
    await fill(s, 'after', 120);
    s = await open();
    expect(s.readStream(soft, { kind: 'start' }, false, 10)).toEqual({ kind: 'not_found' });
    expect(await s.append(soft, { kind: 'stream_exists' }, newEvents(1))).toEqual({ ok: false, refusal: { kind: 'stream_deleted' } });
    // Recreated as EventStoreDB does: revisions go on after the deleted ones.
    expect(await s.append(soft, { kind: 'no_stream' }, newEvents(1))).toEqual(expect.objectContaining({ ok: true, revision: 3 }));
  });

  it('rebuilds a segment whose filter bytes are damaged (checksum) instead of trusting them', async () => {
    let s = await open();
    const [early] = await fill(s, 'early', 1);
    await fill(s, 'later', 60);
    await s.close();
    store = null;
    const first = join(dataDir, indexFiles(dataDir)[0]);
    const bytes = readFileSync(first);
    const fence = bytes.readUInt32LE(12);
    const checkpoints = bytes.readUInt32LE(16);
    const words = bytes.readUInt32LE(32);
    const filterAt = 40 + (fence + checkpoints) * 8;
    bytes.fill(0, filterAt, filterAt + words * 4); // a filter that says "no" to everything
    writeFileSync(first, bytes);
    s = await open();
    expect(revisions(s.readStream(early, { kind: 'start' }, false, 10))).toEqual([0, 1, 2]);
    expect(readFileSync(first).subarray(filterAt, filterAt + words * 4).some((b) => b !== 0)).toBe(true);
  });

  it('opens index files of the previous format (no filter) and builds their filters from the entries', async () => {
    let s = await open();
    const [early] = await fill(s, 'early', 1);
    await fill(s, 'later', 60);
    await s.close();
    store = null;
    const files = indexFiles(dataDir);
    for (const name of files) writeFileSync(join(dataDir, name), toVersion2(readFileSync(join(dataDir, name))));
    s = await open();
    expect(s.indexStats().sealedSegments).toBe(files.length);
    expect(revisions(s.readStream(early, { kind: 'start' }, false, 10))).toEqual([0, 1, 2]);
    const before = s.indexStats();
    await fill(s, 'fresh', 20);
    const after = s.indexStats();
    expect(after.sealedReads - before.sealedReads).toBeLessThan((after.sealedSkips - before.sealedSkips) / 20);
    // Files the store did not need to rewrite stay as they were.
    const fd = openSync(join(dataDir, files[0]), 'r');
    const magic = Buffer.alloc(8);
    readSync(fd, magic, 0, 8, 0);
    closeSync(fd);
    expect(magic.toString('latin1')).toBe('KESIDX02');
  });
});

/** The same index without its filter, as the server wrote it before filters existed. */
function toVersion2(v3: Buffer): Buffer {
  expect(v3.subarray(0, 8).toString('latin1')).toBe('KESIDX03');
  const fence = v3.readUInt32LE(12);
  const checkpoints = v3.readUInt32LE(16);
  const words = v3.readUInt32LE(32);
  const floats = v3.subarray(40, 40 + (fence + checkpoints) * 8);
  const entries = v3.subarray(40 + (fence + checkpoints) * 8 + words * 4);
  const header = Buffer.from(v3.subarray(0, 32));
  header.write('KESIDX02', 0, 'latin1');
  header.writeUInt32LE(crc32(Buffer.concat([header.subarray(8, 20), header.subarray(24, 32), floats])), 20);
  return Buffer.concat([header, floats, entries]);
}
