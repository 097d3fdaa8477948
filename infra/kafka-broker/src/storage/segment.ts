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
const INDEX_MAGIC = 0x4b424931; // "KBI1"
const INDEX_HEADER = 16;

/**
 * One append-only file of record batches (or, in memory mode, the batches themselves), with
 * its batch index packed in a Buffer (56 bytes a batch, no object per batch). When a segment
 * is rolled its index is written beside it (`<base>.index`), so a restart loads it instead of
 * scanning and checksumming the whole log again.
 */
export class Segment {
  private index = Buffer.allocUnsafe(ENTRY * 64);
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

  baseOffsetAt(i: number): number {
    return this.index.readDoubleLE(i * ENTRY);
  }
  lastOffsetAt(i: number): number {
    return this.index.readDoubleLE(i * ENTRY + 8);
  }
  positionAt(i: number): number {
    return this.index.readDoubleLE(i * ENTRY + 16);
  }
  maxTimestampAt(i: number): number {
    return this.index.readDoubleLE(i * ENTRY + 24);
  }
  sizeAt(i: number): number {
    return this.index.readUInt32LE(i * ENTRY + 40);
  }
  producerIdAt(i: number): number {
    return this.index.readDoubleLE(i * ENTRY + 32);
  }
  producerAt(i: number): BatchProducer {
    const at = i * ENTRY;
    return {
      producerId: this.index.readDoubleLE(at + 32),
      baseSequence: this.index.readInt32LE(at + 44),
      recordCount: this.index.readInt32LE(at + 48),
      producerEpoch: this.index.readInt16LE(at + 52),
    };
  }
  entry(i: number): BatchEntry {
    return { baseOffset: this.baseOffsetAt(i), lastOffset: this.lastOffsetAt(i), position: this.positionAt(i), size: this.sizeAt(i), maxTimestamp: this.maxTimestampAt(i) };
  }

  add(entry: BatchEntry, producer: BatchProducer): void {
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

  /** Writes the index beside the (already fsynced) segment: header (magic, segment size, count) and the entries. */
  writeIndex(): void {
    const file = this.indexFile;
    if (file === null) return;
    const header = Buffer.alloc(INDEX_HEADER);
    header.writeUInt32LE(INDEX_MAGIC, 0);
    header.writeDoubleLE(this.size, 4);
    header.writeUInt32LE(this.count, 12);
    writeFileDurably(file, Buffer.concat([header, this.index.subarray(0, this.count * ENTRY)]));
  }

  /** Loads a written index if it describes this segment file exactly as it is on disk; false otherwise. */
  loadIndex(fileSize: number): boolean {
    const file = this.indexFile;
    if (file === null || !fs.existsSync(file)) return false;
    const data = fs.readFileSync(file);
    if (data.length < INDEX_HEADER || data.readUInt32LE(0) !== INDEX_MAGIC) return false;
    const count = data.readUInt32LE(12);
    if (data.readDoubleLE(4) !== fileSize || data.length !== INDEX_HEADER + count * ENTRY) return false;
    this.index = Buffer.from(data.subarray(INDEX_HEADER));
    this.count = count;
    this.size = 0;
    this.largestTimestamp = -1;
    for (let i = 0; i < count; i++) {
      this.size += this.sizeAt(i);
      this.largestTimestamp = Math.max(this.largestTimestamp, this.maxTimestampAt(i));
    }
    if (this.size !== fileSize) {
      this.count = 0;
      this.size = 0;
      return false;
    }
    return true;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
  }

  /** Closes and removes the segment and its index. */
  remove(): void {
    this.close();
    if (this.file) fs.rmSync(this.file, { force: true });
    const index = this.indexFile;
    if (index) fs.rmSync(index, { force: true });
  }
}
