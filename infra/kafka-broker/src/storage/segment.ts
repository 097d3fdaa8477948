import * as fs from 'node:fs';

export interface BatchEntry {
  baseOffset: number;
  lastOffset: number;
  position: number;
  size: number;
  maxTimestamp: number;
  data?: Buffer;
}

/** One append-only file of record batches (or, in memory mode, the batches themselves). */
export class Segment {
  readonly entries: BatchEntry[] = [];
  size = 0;
  largestTimestamp = -1;

  constructor(
    readonly baseOffset: number,
    readonly file: string | null,
    readonly fd: number | null,
  ) {}

  static fileName(baseOffset: number): string {
    return `${String(baseOffset).padStart(20, '0')}.log`;
  }

  get nextOffset(): number {
    const last = this.entries[this.entries.length - 1];
    return last ? last.lastOffset + 1 : this.baseOffset;
  }

  add(entry: BatchEntry): void {
    this.entries.push(entry);
    this.size += entry.size;
    if (entry.maxTimestamp > this.largestTimestamp) this.largestTimestamp = entry.maxTimestamp;
  }

  append(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number): void {
    const position = this.size;
    if (this.fd !== null) {
      let written = 0;
      while (written < batch.length) written += fs.writeSync(this.fd, batch, written, batch.length - written, position + written);
      this.add({ baseOffset, lastOffset, position, size: batch.length, maxTimestamp });
    } else {
      this.add({ baseOffset, lastOffset, position, size: batch.length, maxTimestamp, data: Buffer.from(batch) });
    }
  }

  /** Index of the first batch whose last offset is at or after `offset`, or -1. */
  findBatch(offset: number): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].lastOffset >= offset) {
        found = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return found;
  }

  readRange(from: number, to: number): Buffer {
    const first = this.entries[from];
    const last = this.entries[to];
    if (this.fd === null) return Buffer.concat(this.entries.slice(from, to + 1).map((e) => e.data as Buffer));
    const length = last.position + last.size - first.position;
    const out = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = fs.readSync(this.fd, out, read, length - read, first.position + read);
      if (n === 0) throw new Error(`short read in ${this.file}`);
      read += n;
    }
    return out;
  }

  readBatch(index: number): Buffer {
    return this.readRange(index, index);
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
  }
}
