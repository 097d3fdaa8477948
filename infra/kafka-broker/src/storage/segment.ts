import * as fs from 'node:fs';
import { writeFileDurably } from './fs-sync';

export interface BatchEntry {
  baseOffset: number;
  lastOffset: number;
  position: number;
  size: number;
  maxTimestamp: number;
}

/** What the index keeps per batch beyond its place: enough to rebuild idempotent-producer state without reading the log. */
export interface BatchProducer {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

// One fixed-size record per batch: base, last, position, max timestamp, producer id (float64),
// size, base sequence, record count (int32), epoch (int16), 2 bytes padding.
const ENTRY = 56;
const INDEX_MAGIC = 0x4b424932; // "KBI2"
// magic u32, segment size f64, count u32, largest timestamp f64
const INDEX_HEADER = 24;
/** Entries read from an on-disk index at a time, and how many such blocks stay cached per segment. */
const BLOCK_ENTRIES = 256;
const CACHED_BLOCKS = 4;

/**
 * One append-only file of record batches (or, in memory mode, the batches themselves), with
 * its batch index packed in a Buffer (56 bytes a batch, no object per batch). When a segment
 * is rolled its index is written beside it (`<base>.index`) and leaves memory: lookups read it
 * back in blocks of 256 entries (a few blocks cached), so memory does not grow with the log,
 * and a restart opens the index instead of scanning and checksumming the whole log again.
 */
export class Segment {
  private index: Buffer = Buffer.allocUnsafe(ENTRY * 64);
  /** Set once the index lives in its file only. */
  private indexFd: number | null = null;
  private readonly blocks = new Map<number, Buffer>();
  count = 0;
  size = 0;
  largestTimestamp = -1;
  private readonly data: Buffer[] = [];

  constructor(
    readonly baseOffset: number,
    readonly file: string | null,
    readonly fd: number | null,
  ) {}

  static fileName(baseOffset: number): string {
    return `${String(baseOffset).padStart(20, '0')}.log`;
  }

  get indexFile(): string | null {
    return this.file === null ? null : this.file.replace(/\.log$/, '.index');
  }

  get nextOffset(): number {
    return this.count > 0 ? this.lastOffsetAt(this.count - 1) + 1 : this.baseOffset;
  }

  /** The buffer holding entry i and the entry's byte offset in it. */
  private slot(i: number): [Buffer, number] {
    if (this.indexFd === null) return [this.index, i * ENTRY];
    const block = Math.floor(i / BLOCK_ENTRIES);
    let buf = this.blocks.get(block);
    if (!buf) {
      const first = block * BLOCK_ENTRIES;
      const n = Math.min(BLOCK_ENTRIES, this.count - first);
      buf = Buffer.allocUnsafe(n * ENTRY);
      let read = 0;
      while (read < buf.length) {
        const got = fs.readSync(this.indexFd, buf, read, buf.length - read, INDEX_HEADER + first * ENTRY + read);
        if (got === 0) throw new Error(`short read in ${this.indexFile}`);
        read += got;
      }
      if (this.blocks.size >= CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
      this.blocks.set(block, buf);
    }
    return [buf, (i % BLOCK_ENTRIES) * ENTRY];
  }

  baseOffsetAt(i: number): number {
    const [b, at] = this.slot(i);
    return b.readDoubleLE(at);
  }
  lastOffsetAt(i: number): number {
    const [b, at] = this.slot(i);
    return b.readDoubleLE(at + 8);
  }
  positionAt(i: number): number {
    const [b, at] = this.slot(i);
    return b.readDoubleLE(at + 16);
  }
  maxTimestampAt(i: number): number {
    const [b, at] = this.slot(i);
    return b.readDoubleLE(at + 24);
  }
  sizeAt(i: number): number {
    const [b, at] = this.slot(i);
    return b.readUInt32LE(at + 40);
  }
  producerIdAt(i: number): number {
    const [b, at] = this.slot(i);
    return b.readDoubleLE(at + 32);
  }
  producerAt(i: number): BatchProducer {
    const [b, at] = this.slot(i);
    return {
      producerId: b.readDoubleLE(at + 32),
      baseSequence: b.readInt32LE(at + 44),
      recordCount: b.readInt32LE(at + 48),
      producerEpoch: b.readInt16LE(at + 52),
    };
  }
  entry(i: number): BatchEntry {
    return { baseOffset: this.baseOffsetAt(i), lastOffset: this.lastOffsetAt(i), position: this.positionAt(i), size: this.sizeAt(i), maxTimestamp: this.maxTimestampAt(i) };
  }

  add(entry: BatchEntry, producer: BatchProducer): void {
    if (this.indexFd !== null) throw new Error(`segment ${this.file} is closed for appends`);
    if ((this.count + 1) * ENTRY > this.index.length) {
      const bigger = Buffer.allocUnsafe(this.index.length * 2);
      this.index.copy(bigger, 0, 0, this.count * ENTRY);
      this.index = bigger;
    }
    const at = this.count * ENTRY;
    this.index.writeDoubleLE(entry.baseOffset, at);
    this.index.writeDoubleLE(entry.lastOffset, at + 8);
    this.index.writeDoubleLE(entry.position, at + 16);
    this.index.writeDoubleLE(entry.maxTimestamp, at + 24);
    this.index.writeDoubleLE(producer.producerId, at + 32);
    this.index.writeUInt32LE(entry.size, at + 40);
    this.index.writeInt32LE(producer.baseSequence, at + 44);
    this.index.writeInt32LE(producer.recordCount, at + 48);
    this.index.writeInt16LE(producer.producerEpoch, at + 52);
    this.index.writeInt16LE(0, at + 54);
    this.count++;
    this.size += entry.size;
    if (entry.maxTimestamp > this.largestTimestamp) this.largestTimestamp = entry.maxTimestamp;
  }

  append(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number, producer: BatchProducer): void {
    const position = this.size;
    if (this.fd !== null) {
      let written = 0;
      while (written < batch.length) written += fs.writeSync(this.fd, batch, written, batch.length - written, position + written);
    } else {
      this.data.push(Buffer.from(batch));
    }
    this.add({ baseOffset, lastOffset, position, size: batch.length, maxTimestamp }, producer);
  }

  /** Index of the first batch whose last offset is at or after `offset`, or -1. */
  findBatch(offset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.lastOffsetAt(mid) >= offset) {
        found = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return found;
  }

  readRange(from: number, to: number): Buffer {
    if (this.fd === null) return Buffer.concat(this.data.slice(from, to + 1));
    const start = this.positionAt(from);
    const length = this.positionAt(to) + this.sizeAt(to) - start;
    const out = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = fs.readSync(this.fd, out, read, length - read, start + read);
      if (n === 0) throw new Error(`short read in ${this.file}`);
      read += n;
    }
    return out;
  }

  readBatch(index: number): Buffer {
    return this.readRange(index, index);
  }

  /**
   * Writes the index beside the (already fsynced) segment, durably, then serves lookups from
   * that file and frees the in-memory copy. The segment takes no more appends.
   */
  writeIndex(): void {
    const file = this.indexFile;
    if (file === null) return;
    const header = Buffer.alloc(INDEX_HEADER);
    header.writeUInt32LE(INDEX_MAGIC, 0);
    header.writeDoubleLE(this.size, 4);
    header.writeUInt32LE(this.count, 12);
    header.writeDoubleLE(this.largestTimestamp, 16);
    writeFileDurably(file, Buffer.concat([header, this.index.subarray(0, this.count * ENTRY)]));
    this.indexFd = fs.openSync(file, 'r');
    this.index = Buffer.alloc(0);
    this.blocks.clear();
  }

  /** Opens a written index if it describes this segment file exactly as it is on disk; false otherwise. */
  loadIndex(fileSize: number): boolean {
    const file = this.indexFile;
    if (file === null || !fs.existsSync(file)) return false;
    const fd = fs.openSync(file, 'r');
    const header = Buffer.alloc(INDEX_HEADER);
    const length = fs.fstatSync(fd).size;
    const ok = fs.readSync(fd, header, 0, INDEX_HEADER, 0) === INDEX_HEADER && header.readUInt32LE(0) === INDEX_MAGIC;
    const count = ok ? header.readUInt32LE(12) : 0;
    if (!ok || header.readDoubleLE(4) !== fileSize || length !== INDEX_HEADER + count * ENTRY) {
      fs.closeSync(fd);
      return false;
    }
    this.indexFd = fd;
    this.index = Buffer.alloc(0);
    this.count = count;
    this.size = fileSize;
    this.largestTimestamp = header.readDoubleLE(16);
    // A cheap consistency check: the last entry must end exactly at the end of the file.
    if (count > 0 && this.positionAt(count - 1) + this.sizeAt(count - 1) !== fileSize) {
      this.closeIndex();
      this.count = 0;
      this.size = 0;
      this.largestTimestamp = -1;
      return false;
    }
    return true;
  }

  private closeIndex(): void {
    if (this.indexFd !== null) fs.closeSync(this.indexFd);
    this.indexFd = null;
    this.index = Buffer.allocUnsafe(ENTRY * 64);
    this.blocks.clear();
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    if (this.indexFd !== null) fs.closeSync(this.indexFd);
    this.indexFd = null;
  }

  /** Closes and removes the segment and its index. */
  remove(): void {
    this.close();
    if (this.file) fs.rmSync(this.file, { force: true });
    const index = this.indexFile;
    if (index) fs.rmSync(index, { force: true });
  }
}
