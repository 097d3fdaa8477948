import { closeSync, existsSync, fsyncSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { BloomFilter } from './bloom-filter';
import { crc32 } from './crc32';

/**
 * Where each stream's records are: per log segment, (stream, revision) → position, never payloads.
 * The segment being written keeps its part in memory (a memtable, bounded by the segment size); a
 * sealed segment's part is a sorted file next to it, read with a few `pread`s per lookup, so memory
 * does not grow with the log. Sealed entries are keyed by a 53-bit hash of the stream name: callers
 * check the name on the record they read (`exact: false`), so a collision can never mix streams.
 * Each sealed segment also keeps a Bloom filter of its stream hashes in memory (about 2 bytes per
 * stream per segment), so a lookup reads only the index files of segments that may hold the stream:
 * creating a new stream costs no read at all whatever the number of segments (ADR 0002).
 */
export interface IndexSlice {
  readonly revisions: ArrayLike<number>;
  readonly positions: ArrayLike<number>;
  /** True when every entry is known to belong to the stream (memtables are keyed by name). */
  readonly exact: boolean;
}

/** A record boundary is remembered about every this many bytes, for `$all` reads from any position. */
const CHECKPOINT_SPACING = 64 * 1024;
/** Version 2 files have no Bloom filter: it is rebuilt from their entries when they are opened. */
const MAGIC_V2 = Buffer.from('KESIDX02', 'latin1');
const MAGIC = Buffer.from('KESIDX03', 'latin1');
const HEADER_V2 = 8 + 4 * 4 + 8;
/** Version 3 adds the filter's word count and probe count; the filter's words follow the checkpoints. */
const HEADER = HEADER_V2 + 4 + 4;
const ENTRY = 24;
const FENCE_STRIDE = 128;

class Memtable {
  readonly streams = new Map<string, { revisions: number[]; positions: number[] }>();
  readonly checkpoints: number[] = [];
  entryCount = 0;

  add(stream: string, revision: number, position: number): void {
    let entry = this.streams.get(stream);
    if (!entry) {
      entry = { revisions: [], positions: [] };
      this.streams.set(stream, entry);
    }
    entry.revisions.push(revision);
    entry.positions.push(position);
    this.entryCount++;
  }

  noteRecord(position: number): void {
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (last === undefined || position - last >= CHECKPOINT_SPACING) this.checkpoints.push(position);
  }
}

/**
 * A sealed segment's index file: header, fence (every 128th hash), checkpoints, Bloom filter of the
 * stream hashes, sorted entries. Everything but the entries is kept in memory once opened.
 */
class SealedIndex {
  private constructor(
    private readonly fd: number,
    private readonly entryCount: number,
    private readonly fence: Float64Array,
    readonly checkpoints: Float64Array,
    readonly filter: BloomFilter,
    private readonly entriesAt: number,
  ) {}

  static write(path: string, mem: Memtable, segmentBytes: number): void {
    const entries = new Float64Array(mem.entryCount * 3);
    const order: number[] = [];
    const filter = BloomFilter.forKeys(mem.streams.size);
    let n = 0;
    for (const [stream, { revisions, positions }] of mem.streams) {
      const hash = streamHash(stream);
      filter.add(hash);
      for (let i = 0; i < revisions.length; i++, n++) {
        entries[n * 3] = hash;
        entries[n * 3 + 1] = revisions[i];
        entries[n * 3 + 2] = positions[i];
        order.push(n);
      }
    }
    order.sort((a, b) => entries[a * 3] - entries[b * 3] || entries[a * 3 + 2] - entries[b * 3 + 2]);
    const sorted = new Float64Array(entries.length);
    order.forEach((from, to) => sorted.set(entries.subarray(from * 3, from * 3 + 3), to * 3));
    const fence = new Float64Array(Math.ceil(order.length / FENCE_STRIDE));
    for (let i = 0; i < fence.length; i++) fence[i] = sorted[i * FENCE_STRIDE * 3];
    const checkpoints = Float64Array.from(mem.checkpoints);
    const body = Buffer.concat([
      Buffer.from(fence.buffer, fence.byteOffset, fence.byteLength),
      Buffer.from(checkpoints.buffer, checkpoints.byteOffset, checkpoints.byteLength),
      Buffer.from(filter.words.buffer, filter.words.byteOffset, filter.words.byteLength),
    ]);
    const header = Buffer.alloc(HEADER);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(order.length, 8);
    header.writeUInt32LE(fence.length, 12);
    header.writeUInt32LE(checkpoints.length, 16);
    header.writeDoubleLE(segmentBytes, 24);
    header.writeUInt32LE(filter.words.length, 32);
    header.writeUInt32LE(filter.probes, 36);
    header.writeUInt32LE(crc32(Buffer.concat([header.subarray(8, 20), header.subarray(24), body])), 20);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, header);
      writeAll(fd, body);
      writeAll(fd, Buffer.from(sorted.buffer, sorted.byteOffset, sorted.byteLength));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }

  /**
   * Opens an index file if it is whole (checksum over everything but the entries, size) and
   * describes a segment of exactly `segmentBytes`. A version 2 file gets its filter built from its
   * entries (one sequential read of the file).
   */
  static open(path: string, segmentBytes: number): SealedIndex | null {
    if (!existsSync(path)) return null;
    const fd = openSync(path, 'r');
    try {
      const header = Buffer.alloc(HEADER);
      const headerRead = readSync(fd, header, 0, HEADER, 0);
      const magic = header.subarray(0, 8);
      const v2 = magic.equals(MAGIC_V2);
      if (!v2 && !magic.equals(MAGIC)) throw new Error('bad header');
      const headerLength = v2 ? HEADER_V2 : HEADER;
      if (headerRead < headerLength) throw new Error('short header');
      const entryCount = header.readUInt32LE(8);
      const fenceCount = header.readUInt32LE(12);
      const checkpointCount = header.readUInt32LE(16);
      const filterWords = v2 ? 0 : header.readUInt32LE(32);
      const probes = v2 ? BloomFilter.PROBES : header.readUInt32LE(36);
      if (header.readDoubleLE(24) !== segmentBytes) throw new Error('segment size differs');
      const bodyLength = (fenceCount + checkpointCount) * 8 + filterWords * 4;
      if (headerLength + bodyLength + entryCount * ENTRY !== statSync(path).size) throw new Error('size');
      const body = Buffer.alloc(bodyLength);
      if (readSync(fd, body, 0, bodyLength, headerLength) !== bodyLength) throw new Error('short body');
      const summed = Buffer.concat([header.subarray(8, 20), header.subarray(24, headerLength), body]);
      if (crc32(summed) !== header.readUInt32LE(20)) throw new Error('checksum');
      const entriesAt = headerLength + bodyLength;
      const floatBytes = (fenceCount + checkpointCount) * 8;
      const floats = new Float64Array(body.buffer.slice(body.byteOffset, body.byteOffset + floatBytes));
      const filter = v2
        ? filterFromEntries(fd, entriesAt, entryCount)
        : new BloomFilter(new Uint32Array(body.buffer.slice(body.byteOffset + floatBytes, body.byteOffset + bodyLength)), probes);
      return new SealedIndex(fd, entryCount, floats.subarray(0, fenceCount), floats.subarray(fenceCount), filter, entriesAt);
    } catch {
      closeSync(fd);
      return null;
    }
  }

  lookup(hash: number): IndexSlice {
    // The first block that may hold `hash`: the last one whose first hash is below it.
    let lo = 0;
    let hi = this.fence.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.fence[mid] < hash) lo = mid + 1;
      else hi = mid;
    }
    let block = Math.max(0, lo - 1);
    const revisions: number[] = [];
    const positions: number[] = [];
    const buf = Buffer.alloc(FENCE_STRIDE * ENTRY);
    for (; block < this.fence.length; block++) {
      if (this.fence[block] > hash) break;
      const first = block * FENCE_STRIDE;
      const count = Math.min(FENCE_STRIDE, this.entryCount - first);
      readFully(this.fd, buf, count * ENTRY, this.entriesAt + first * ENTRY);
      let past = false;
      for (let i = 0; i < count; i++) {
        const h = buf.readDoubleLE(i * ENTRY);
        if (h < hash) continue;
        if (h > hash) {
          past = true;
          break;
        }
        revisions.push(buf.readDoubleLE(i * ENTRY + 8));
        positions.push(buf.readDoubleLE(i * ENTRY + 16));
      }
      if (past) break;
    }
    return { revisions, positions, exact: false };
  }

  close(): void {
    closeSync(this.fd);
  }
}

interface Segment {
  readonly base: number;
  mem: Memtable | null;
  sealed: SealedIndex | null;
}

/** What the index costs and does, for tests and diagnostics. */
export interface StreamIndexStats {
  readonly sealedSegments: number;
  /** Bytes of Bloom filters held in memory (one per sealed segment). */
  readonly filterBytes: number;
  /** Lookups that read a sealed segment's index file (its filter said "maybe"). */
  readonly sealedReads: number;
  /** Lookups that a sealed segment's filter answered "no" without reading anything. */
  readonly sealedSkips: number;
}

export class StreamIndex {
  private readonly segments: Segment[] = [];
  private sealedReads = 0;
  private sealedSkips = 0;

  /** Starts indexing a segment that begins at `base` (all later records belong to it). */
  openSegment(base: number): void {
    this.segments.push({ base, mem: new Memtable(), sealed: null });
  }

  /** Uses a sealed segment's index file if it is whole; false means the segment must be replayed. */
  attachSealed(base: number, path: string, segmentBytes: number): boolean {
    const sealed = SealedIndex.open(path, segmentBytes);
    if (!sealed) return false;
    this.segments.push({ base, mem: null, sealed });
    return true;
  }

  /** Writes the memtable of the segment at `base` to `path` and reads it from there from now on. */
  seal(base: number, path: string, segmentBytes: number): void {
    const segment = this.segments.find((s) => s.base === base);
    if (!segment?.mem) return;
    try {
      SealedIndex.write(path, segment.mem, segmentBytes);
      const sealed = SealedIndex.open(path, segmentBytes);
      if (!sealed) return;
      segment.sealed = sealed;
      segment.mem = null;
    } catch {
      // The memtable stays in use; the next start replays the segment and writes the file again.
      try {
        unlinkSync(path);
      } catch {
        // nothing to remove
      }
    }
  }

  add(stream: string, revision: number, position: number): void {
    this.segments[this.segments.length - 1].mem!.add(stream, revision, position);
  }

  noteRecord(position: number): void {
    this.segments[this.segments.length - 1].mem!.noteRecord(position);
  }

  /** Every entry that may belong to `stream`, segment by segment in log order. */
  slices(stream: string): IndexSlice[] {
    let hash: number | undefined;
    const out: IndexSlice[] = [];
    for (const segment of this.segments) {
      if (segment.mem) {
        const entry = segment.mem.streams.get(stream);
        if (entry) out.push({ revisions: entry.revisions, positions: entry.positions, exact: true });
      } else if (segment.sealed) {
        hash ??= streamHash(stream);
        if (!segment.sealed.filter.mightContain(hash)) {
          this.sealedSkips++;
          continue;
        }
        this.sealedReads++;
        const slice = segment.sealed.lookup(hash);
        if (slice.positions.length > 0) out.push(slice);
      }
    }
    return out;
  }

  /** The last remembered record boundary at or before `position` (the first record if none). */
  boundaryAtOrBefore(position: number, first: number): number {
    for (let s = this.segments.length - 1; s >= 0; s--) {
      const segment = this.segments[s];
      if (segment.base > position) continue;
      const points = segment.mem ? segment.mem.checkpoints : segment.sealed!.checkpoints;
      let lo = 0;
      let hi = points.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (points[mid] <= position) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0) return points[lo - 1];
    }
    return first;
  }

  stats(): StreamIndexStats {
    let sealedSegments = 0;
    let filterBytes = 0;
    for (const segment of this.segments) {
      if (!segment.sealed) continue;
      sealedSegments++;
      filterBytes += segment.sealed.filter.byteLength;
    }
    return { sealedSegments, filterBytes, sealedReads: this.sealedReads, sealedSkips: this.sealedSkips };
  }

  close(): void {
    for (const segment of this.segments) segment.sealed?.close();
  }
}

/** The filter of a version 2 index file, from the distinct hashes of its sorted entries. */
function filterFromEntries(fd: number, entriesAt: number, entryCount: number): BloomFilter {
  const hashes: number[] = [];
  const chunk = 4096;
  const buf = Buffer.alloc(chunk * ENTRY);
  for (let first = 0; first < entryCount; first += chunk) {
    const count = Math.min(chunk, entryCount - first);
    readFully(fd, buf, count * ENTRY, entriesAt + first * ENTRY);
    for (let i = 0; i < count; i++) {
      const hash = buf.readDoubleLE(i * ENTRY);
      if (hashes[hashes.length - 1] !== hash) hashes.push(hash);
    }
  }
  return BloomFilter.of(hashes, hashes.length);
}

/** cyrb53: a fast 53-bit string hash, exact as a double. */
export function streamHash(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function writeAll(fd: number, bytes: Buffer): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

function readFully(fd: number, buf: Buffer, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error('index file is shorter than its header says');
    done += n;
  }
}
