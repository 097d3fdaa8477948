import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  unlinkSync,
  write,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { Lru } from './lru';
import { decodeRecord, FRAME_HEADER } from './record-codec';
import type { EventRecord } from './event-record';

const MAGIC = Buffer.from('KAIROSES0001\0\0\0\0', 'latin1');
/** First record position; positions are never 0, so (0,0) keeps meaning "start". */
export const LOG_START = MAGIC.length;
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** What the log tells the index about segments. */
export interface SegmentHooks {
  /** Every record reserved from now on is in a new segment starting at `base`. */
  segmentStarted(base: number): void;
  /** Every write of the segment at `base` is durable: its index can go to `indexPath`. */
  segmentSealed(base: number, indexPath: string, bytes: number): void;
}

/** Where acknowledged writes go, and where records are read back from. */
export interface CommitLog {
  /** Readers see records below this position: everything below is durable. */
  readonly durableEnd: number;
  /** Reserves `length` bytes for one write (never split over two segments) and returns its position. */
  reserve(length: number): number;
  /** Appends the bytes of a reservation; resolves once durable. Calls resolve in call order. */
  append(position: number, bytes: Buffer): Promise<void>;
  /** The frame (header and payload) that starts at `position`, durable or still pending. */
  frame(position: number): Buffer;
  close(): Promise<void>;
}

/** `--memory`: the bytes stay in memory and are acknowledged at once (tests, demos). */
export class MemoryLog implements CommitLog {
  private readonly writes: { position: number; bytes: Buffer }[] = [];
  private end = LOG_START;

  get durableEnd(): number {
    return this.end;
  }

  reserve(length: number): number {
    const position = this.end;
    this.end += length;
    return position;
  }

  append(position: number, bytes: Buffer): Promise<void> {
    this.writes.push({ position, bytes });
    return Promise.resolve();
  }

  frame(position: number): Buffer {
    return frameIn(this.writes, position);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Pending {
  readonly position: number;
  readonly bytes: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

interface SegmentFile {
  readonly base: number;
  readonly path: string;
  fd: number | null;
  /** Bytes durable in this segment (its size once sealed). */
  durable: number;
}

const BLOCK = 64 * 1024;
const CACHE_BYTES = 16 * 1024 * 1024;
const SCAN_CHUNK = 8 * 1024 * 1024;

/**
 * The durable log: segment files `events.log` (the first, which starts with the magic header) and
 * `events-<position>.log`, each named by the position of its first byte, so positions run on
 * through all of them. A write never spans two segments; a new one starts when the next write would
 * pass the segment size. Group commit: writes that arrive during an fdatasync share the next one.
 * Reads go through a bounded cache of 64 KiB blocks, so memory does not grow with the log.
 */
export class FileLog implements CommitLog {
  private queue: Pending[] = [];
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;
  private reservedEnd: number;
  private durable: number;
  private readonly blocks = new Lru<string, Buffer>(CACHE_BYTES, (b) => b.length);

  private constructor(
    private readonly dir: string,
    private readonly segments: SegmentFile[],
    private readonly segmentBytes: number,
    private readonly hooks: SegmentHooks,
  ) {
    const last = segments[segments.length - 1];
    this.durable = last.base + last.durable;
    this.reservedEnd = this.durable;
  }

  /**
   * Opens (or creates) the log. Sealed segments with a whole index file are not read at all; the
   * others are replayed (`onRecord` gets every record of every complete write) and a torn tail is cut.
   */
  static open(
    dir: string,
    options: { segmentBytes?: number; hooks: SegmentHooks & { attachSealed(base: number, indexPath: string, bytes: number): boolean } },
    onRecord: (record: EventRecord) => void,
  ): { log: FileLog; truncatedBytes: number } {
    mkdirSync(dir, { recursive: true });
    const first = join(dir, 'events.log');
    if (!existsSync(first)) {
      const fd = openSync(first, 'w+');
      writeAllSync(fd, MAGIC, 0);
      fsyncSync(fd);
      closeSync(fd);
      syncDirectory(dir);
    }
    const segments: SegmentFile[] = [{ base: 0, path: first, fd: null, durable: 0 }];
    for (const name of readdirSync(dir)) {
      const match = /^events-(\d{20})\.log$/.exec(name);
      if (match) segments.push({ base: Number(match[1]), path: join(dir, name), fd: null, durable: 0 });
    }
    segments.sort((a, b) => a.base - b.base);
    let truncatedBytes = 0;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      segment.fd = openSync(segment.path, 'r+');
      const size = statSync(segment.path).size;
      if (i === 0) {
        const head = Buffer.alloc(MAGIC.length);
        if (size < LOG_START || readSync(segment.fd, head, 0, MAGIC.length, 0) !== MAGIC.length || !head.equals(MAGIC)) {
          for (const s of segments) if (s.fd !== null) closeSync(s.fd);
          throw new Error(`${first} is not a Kairos event log`);
        }
      } else if (segment.base !== segments[i - 1].base + segments[i - 1].durable) {
        for (const s of segments) if (s.fd !== null) closeSync(s.fd);
        throw new Error(`${segment.path} does not follow the previous segment: the log is missing a part`);
      }
      const last = i === segments.length - 1;
      if (!last && options.hooks.attachSealed(segment.base, indexPath(segment.path), size)) {
        segment.durable = size;
        continue;
      }
      options.hooks.segmentStarted(segment.base);
      const committed = replaySegment(segment.fd, segment.base, i === 0 ? LOG_START : 0, size, onRecord);
      segment.durable = committed;
      if (committed < size) {
        // A torn write was never acknowledged; neither was anything written after it.
        truncatedBytes += size - committed;
        ftruncateSync(segment.fd, committed);
        fsyncSync(segment.fd);
        for (const later of segments.splice(i + 1)) {
          truncatedBytes += statSync(later.path).size;
          if (later.fd !== null) closeSync(later.fd);
          unlinkSync(later.path);
          rmIndex(later.path);
        }
        syncDirectory(dir);
      } else if (!last) {
        options.hooks.segmentSealed(segment.base, indexPath(segment.path), size);
      }
    }
    return { log: new FileLog(dir, segments, options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, options.hooks), truncatedBytes };
  }

  get durableEnd(): number {
    return this.durable;
  }

  reserve(length: number): number {
    const last = this.segments[this.segments.length - 1];
    const firstRecord = last.base === 0 ? LOG_START : last.base;
    if (this.reservedEnd - last.base + length > this.segmentBytes && this.reservedEnd > firstRecord) {
      const base = this.reservedEnd;
      this.segments.push({ base, path: join(this.dir, `events-${String(base).padStart(20, '0')}.log`), fd: null, durable: 0 });
      this.hooks.segmentStarted(base);
    }
    const position = this.reservedEnd;
    this.reservedEnd += length;
    return position;
  }

  append(position: number, bytes: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('event log is closed'));
    return new Promise((resolve, reject) => {
      const p = { position, bytes, resolve, reject };
      this.queue.push(p);
      this.pending.push(p);
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  frame(position: number): Buffer {
    if (position >= this.durable) return frameIn(this.pending, position);
    const segment = this.segmentAt(position);
    const offset = position - segment.base;
    const header = this.read(segment, offset, FRAME_HEADER);
    return this.read(segment, offset, FRAME_HEADER + header.readUInt32LE(0));
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    for (const segment of this.segments) if (segment.fd !== null) closeSync(segment.fd);
    this.blocks.clear();
  }

  private segmentAt(position: number): SegmentFile {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].base <= position) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo];
  }

  /** Bytes of one segment, through the block cache when the blocks are wholly durable. */
  private read(segment: SegmentFile, offset: number, length: number): Buffer {
    const firstBlock = Math.floor(offset / BLOCK);
    const lastBlock = Math.floor((offset + length - 1) / BLOCK);
    if (lastBlock - firstBlock > 1 || (lastBlock + 1) * BLOCK > segment.durable) return preadExact(segment.fd!, offset, length);
    const parts: Buffer[] = [];
    for (let b = firstBlock; b <= lastBlock; b++) {
      const key = `${segment.base}:${b}`;
      let block = this.blocks.get(key);
      if (!block) {
        block = preadExact(segment.fd!, b * BLOCK, BLOCK);
        this.blocks.set(key, block);
      }
      parts.push(block);
    }
    const joined = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const start = offset - firstBlock * BLOCK;
    // A copy, so a record kept by a reader never pins a cache block.
    return Buffer.from(joined.subarray(start, start + length));
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const queue = this.queue;
      this.queue = [];
      let i = 0;
      while (i < queue.length) {
        const segment = this.segmentAt(queue[i].position);
        const batch: Pending[] = [];
        while (i < queue.length && this.segmentAt(queue[i].position) === segment) batch.push(queue[i++]);
        try {
          if (segment.fd === null) this.startFile(segment);
          const bytes = batch.length === 1 ? batch[0].bytes : Buffer.concat(batch.map((p) => p.bytes));
          await writeAsync(segment.fd!, bytes, batch[0].position - segment.base);
          await new Promise<void>((resolve, reject) => fdatasync(segment.fd!, (e) => (e ? reject(e) : resolve())));
          segment.durable += bytes.length;
          this.durable = segment.base + segment.durable;
          this.pending.splice(0, batch.length);
          for (const p of batch) p.resolve();
        } catch (error) {
          // After a failed write or fsync the file's state is unknown: this log accepts no more
          // writes (fail-stop). The store cuts what was not acknowledged and opens the files again
          // once it can write (`discardUnacknowledged`, then `FileLog.open`).
          this.failure = Object.assign(new Error(`event log write failed: ${(error as Error).message}`), { code: (error as NodeJS.ErrnoException).code });
          for (const p of [...batch, ...queue.slice(i), ...this.queue]) p.reject(this.failure);
          this.queue = [];
          this.pending = [];
          this.flushing = null;
          return;
        }
      }
    }
    this.flushing = null;
  }

  /**
   * After a failed write (no write in flight any more): cuts every byte past the durable end from
   * the files (bytes that may have reached the disk but were never acknowledged) and removes the
   * segments that start past it, so opening the files again finds exactly what was acknowledged.
   * Shrinking a file needs no room, so this works on a full disk.
   */
  discardUnacknowledged(): void {
    if (this.flushing) throw new Error('event log writes are still in flight');
    const end = this.durable;
    while (this.segments.length > 1 && this.segments[this.segments.length - 1].base >= end) {
      const segment = this.segments.pop()!;
      if (segment.fd !== null) closeSync(segment.fd);
      segment.fd = null;
      rmSync(segment.path, { force: true });
      rmIndex(segment.path);
    }
    const last = this.segments[this.segments.length - 1];
    if (last.fd !== null && fstatSync(last.fd).size > end - last.base) {
      ftruncateSync(last.fd, end - last.base);
      fsyncSync(last.fd);
    }
    syncDirectory(this.dir);
    this.reservedEnd = end;
  }

  /** The previous segment is wholly durable (writes are flushed in order): seal it, then create the file. */
  private startFile(segment: SegmentFile): void {
    const index = this.segments.indexOf(segment);
    const previous = this.segments[index - 1];
    if (previous) this.hooks.segmentSealed(previous.base, indexPath(previous.path), previous.durable);
    segment.fd = openSync(segment.path, 'w+');
    syncDirectory(this.dir);
  }
}

/** Replays the complete writes of one segment; returns the offset after the last complete write. */
function replaySegment(fd: number, base: number, from: number, size: number, onRecord: (record: EventRecord) => void): number {
  let buf = Buffer.alloc(Math.min(SCAN_CHUNK, Math.max(size, FRAME_HEADER)));
  let bufStart = from;
  let bufLength = 0;
  let offset = from;
  let committed = from;
  let batch: EventRecord[] = [];
  const fill = (at: number, need: number): boolean => {
    if (at >= bufStart && at + need <= bufStart + bufLength) return true;
    if (at + need > size) return false;
    if (need > buf.length) buf = Buffer.alloc(need);
    bufStart = at;
    bufLength = Math.min(buf.length, size - at);
    let done = 0;
    while (done < bufLength) done += readSync(fd, buf, done, bufLength - done, at + done);
    return true;
  };
  while (offset < size) {
    if (!fill(offset, FRAME_HEADER)) break;
    const length = buf.readUInt32LE(offset - bufStart);
    if (!fill(offset, FRAME_HEADER + length)) break;
    const decoded = decodeRecord(buf.subarray(0, bufLength), offset - bufStart, base + offset);
    if (!decoded.ok) break;
    // Only names and numbers are kept: the buffer is reused for the next chunk.
    batch.push({ ...decoded.record, data: EMPTY, metadata: EMPTY, stream: decoded.record.stream });
    offset += FRAME_HEADER + length;
    if (decoded.commitEnd) {
      for (const record of batch) onRecord(record);
      batch = [];
      committed = offset;
    }
  }
  return committed;
}

const EMPTY = new Uint8Array(0);

function frameIn(writes: readonly { position: number; bytes: Buffer }[], position: number): Buffer {
  let lo = 0;
  let hi = writes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (writes[mid].position <= position) lo = mid;
    else hi = mid - 1;
  }
  const write = writes[lo];
  if (!write || position < write.position || position >= write.position + write.bytes.length) throw new Error(`no record at ${position}`);
  const offset = position - write.position;
  return write.bytes.subarray(offset, offset + FRAME_HEADER + write.bytes.readUInt32LE(offset));
}

function indexPath(segmentPath: string): string {
  return `${segmentPath}.idx`;
}

function rmIndex(segmentPath: string): void {
  try {
    unlinkSync(indexPath(segmentPath));
  } catch {
    // no index file
  }
}

/**
 * Whether `dir` has room again: writes and syncs `bytes` in a probe file, then removes it. Throws
 * what the filesystem says (ENOSPC while the disk is full).
 */
export function probeRoom(dir: string, bytes = 256 * 1024): void {
  const path = join(dir, '.room-probe');
  try {
    const fd = openSync(path, 'w');
    try {
      writeAllSync(fd, Buffer.alloc(bytes), 0);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(path, { force: true });
  }
}

function preadExact(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`event log is shorter than expected at ${position + done}`);
    done += n;
  }
  return buf;
}

function writeAllSync(fd: number, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

async function writeAsync(fd: number, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    done += await new Promise<number>((resolve, reject) =>
      write(fd, bytes, done, bytes.length - done, position + done, (e, n) => (e ? reject(e) : resolve(n))),
    );
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the file itself is synced regardless.
  }
}
