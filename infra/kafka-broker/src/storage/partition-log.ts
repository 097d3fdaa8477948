import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProducerStates } from '../producers/producer-state';
import { BatchHeader, assignBaseOffset, recordTimestamps } from '../protocol/record-batch';
import { fdatasync, fsyncDir } from './fs-sync';
import { GroupCommit } from './group-commit';
import { Segment } from './segment';
import { recoverSegment } from './segment-recovery';

export interface LogConfig {
  segmentBytes: number;
  retentionBytes?: number;
  retentionMs?: number;
}

export class PartitionLog {
  readonly producers = new ProducerStates();
  private segments: Segment[] = [];
  /** Next offset to assign. */
  logEndOffset = 0;
  /** Everything below is on disk (fsynced) and visible to consumers. */
  highWatermark = 0;
  private readonly commit: GroupCommit;
  private closed = false;

  private constructor(
    readonly dir: string | null,
    private readonly config: LogConfig,
    private readonly onAdvance: () => void,
  ) {
    this.commit = new GroupCommit(() => this.flush());
  }

  static open(dir: string | null, config: LogConfig, onAdvance: () => void): PartitionLog {
    const log = new PartitionLog(dir, config, onAdvance);
    if (dir === null) {
      log.segments.push(new Segment(0, null, null));
      return log;
    }
    fs.mkdirSync(dir, { recursive: true });
    const files = fs
      .readdirSync(dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .sort();
    for (const file of files) {
      const base = Number(file.slice(0, 20));
      if (log.segments.length > 0 && base !== log.logEndOffset) {
        // A later segment that does not continue the log cannot be trusted.
        fs.rmSync(path.join(dir, file));
        continue;
      }
      const segment = recoverSegment(path.join(dir, file), base, (b) =>
        log.producers.record(b.producerId, b.producerEpoch, b.baseSequence, b.recordCount, b.baseOffset),
      );
      log.segments.push(segment);
      log.logEndOffset = segment.nextOffset;
    }
    if (log.segments.length === 0) log.segments.push(log.createSegment(0));
    log.highWatermark = log.logEndOffset;
    return log;
  }

  get logStartOffset(): number {
    return this.segments[0].baseOffset;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private createSegment(baseOffset: number): Segment {
    if (this.dir === null) return new Segment(baseOffset, null, null);
    const file = path.join(this.dir, Segment.fileName(baseOffset));
    const fd = fs.openSync(file, 'w+');
    fsyncDir(this.dir);
    return new Segment(baseOffset, file, fd);
  }

  /** Appends at once (so offsets follow call order); `durable` settles once the batch is fsynced. */
  append(batch: Buffer, header: BatchHeader): { baseOffset: number; durable: Promise<void> } {
    const baseOffset = this.logEndOffset;
    const lastOffset = baseOffset + header.lastOffsetDelta;
    if (this.active.size > 0 && this.active.size + batch.length > this.config.segmentBytes) this.roll();
    assignBaseOffset(batch, baseOffset);
    this.active.append(batch, baseOffset, lastOffset, header.maxTimestamp);
    this.logEndOffset = lastOffset + 1;
    this.producers.record(header.producerId, header.producerEpoch, header.baseSequence, header.recordCount, baseOffset);
    if (this.dir === null) {
      this.advance(this.logEndOffset);
      return { baseOffset, durable: Promise.resolve() };
    }
    return { baseOffset, durable: this.commit.sync() };
  }

  private roll(): void {
    if (this.active.fd !== null) fs.fsyncSync(this.active.fd);
    this.segments.push(this.createSegment(this.logEndOffset));
  }

  private async flush(): Promise<void> {
    const target = this.logEndOffset;
    const fd = this.active.fd;
    if (this.closed) throw new Error('partition log closed');
    if (fd !== null) await fdatasync(fd);
    this.advance(target);
  }

  private advance(offset: number): void {
    if (offset <= this.highWatermark) return;
    this.highWatermark = offset;
    this.onAdvance();
  }

  /** Whole batches starting with the one holding `offset`, at least one, up to `maxBytes`. */
  read(offset: number, maxBytes: number, upTo = this.highWatermark): Buffer | null {
    if (offset >= upTo) return null;
    for (const segment of this.segments) {
      if (segment.nextOffset <= offset) continue;
      const first = segment.findBatch(offset);
      if (first < 0) continue;
      let last = first;
      let bytes = segment.entries[first].size;
      while (last + 1 < segment.entries.length) {
        const next = segment.entries[last + 1];
        if (next.baseOffset >= upTo || bytes + next.size > maxBytes) break;
        bytes += next.size;
        last++;
      }
      if (segment.entries[first].baseOffset >= upTo) return null;
      return segment.readRange(first, last);
    }
    return null;
  }

  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    for (const segment of this.segments) {
      if (segment.largestTimestamp < timestamp) continue;
      for (let i = 0; i < segment.entries.length; i++) {
        const entry = segment.entries[i];
        if (entry.maxTimestamp < timestamp || entry.baseOffset >= this.highWatermark) continue;
        const records = recordTimestamps(segment.readBatch(i));
        if (records === null) return { offset: entry.baseOffset, timestamp: entry.maxTimestamp };
        const hit = records.find((r) => r.timestamp >= timestamp);
        if (hit) return hit;
      }
    }
    return null;
  }

  sizeInBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  /** Drops whole old segments beyond the size or age limits; the active one only once rolled. */
  applyRetention(now: number): void {
    const { retentionBytes, retentionMs } = this.config;
    const expired = (s: Segment) => retentionMs !== undefined && s.size > 0 && s.largestTimestamp < now - retentionMs;
    if (expired(this.active) && this.highWatermark === this.logEndOffset) this.roll();
    let total = this.sizeInBytes();
    while (this.segments.length > 1) {
      const oldest = this.segments[0];
      if (oldest.baseOffset >= this.highWatermark) break;
      const tooBig = retentionBytes !== undefined && total - oldest.size >= retentionBytes;
      if (!tooBig && !expired(oldest)) break;
      if (oldest.nextOffset > this.highWatermark) break;
      this.segments.shift();
      total -= oldest.size;
      oldest.close();
      if (oldest.file) fs.rmSync(oldest.file, { force: true });
    }
  }

  close(): void {
    this.closed = true;
    for (const s of this.segments) s.close();
  }
}
