import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProducerStates } from '../producers/producer-state';
import { BatchHeader, assignBaseOffset, readBatchHeader, recordTimestamps } from '../protocol/record-batch';
import { DecodedRecord, decodeRecords, rebuildBatch } from '../protocol/records';
import { fdatasync, fsyncDir, writeFileDurably } from './fs-sync';
import { GroupCommit } from './group-commit';
import { Segment } from './segment';
import { recoverSegment } from './segment-recovery';

/** What the log acts on; the topic's effective config (see topic-config.ts). Unlimited is -1. */
export interface LogConfig {
  segmentBytes: number;
  retentionBytes?: number;
  retentionMs?: number;
  segmentMs?: number;
  delete?: boolean;
  compact?: boolean;
  deleteRetentionMs?: number;
  minCompactionLagMs?: number;
}

const START_OFFSET_FILE = 'log-start-offset';

/** The batch's records, or null when they cannot be read here (other codecs, or records that do not parse): such batches are kept whole. */
function readableRecords(batch: Buffer): DecodedRecord[] | null {
  try {
    return decodeRecords(batch);
  } catch {
    return null;
  }
}

export class PartitionLog {
  readonly producers = new ProducerStates();
  private segments: Segment[] = [];
  /** Next offset to assign. */
  logEndOffset = 0;
  /** Everything below is on disk (fsynced) and visible to consumers. */
  highWatermark = 0;
  /** Raised by DeleteRecords; the log start is the larger of this and the first segment's base. */
  private deletedBelow = 0;
  /** End of the prefix of rolled segments compacted last time, and when a kept tombstone expires. */
  private cleanedThrough = 0;
  private nextTombstoneExpiry = Infinity;
  private readonly commit: GroupCommit;
  private closed = false;

  private constructor(
    readonly dir: string | null,
    public config: LogConfig,
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
    for (const leftover of fs.readdirSync(dir).filter((f) => f.endsWith('.cleaned') || f.endsWith('.tmp'))) fs.rmSync(path.join(dir, leftover), { force: true });
    for (const leftover of fs.readdirSync(dir).filter((f) => f.endsWith('.index') && !files.includes(f.replace(/\.index$/, '.log')))) {
      fs.rmSync(path.join(dir, leftover), { force: true });
    }
    for (const [n, file] of files.entries()) {
      const base = Number(file.slice(0, 20));
      if (log.segments.length > 0 && base < log.logEndOffset) {
        // A later segment that overlaps the log cannot be trusted (compaction leaves gaps, never overlaps).
        fs.rmSync(path.join(dir, file));
        fs.rmSync(path.join(dir, file.replace(/\.log$/, '.index')), { force: true });
        continue;
      }
      // Rolled segments come back from their index; only the last one is scanned and checksummed.
      const segment = recoverSegment(
        path.join(dir, file),
        base,
        (b) => log.producers.record(b.producerId, b.producerEpoch, b.baseSequence, b.recordCount, b.baseOffset),
        n < files.length - 1,
      );
      log.segments.push(segment);
      log.logEndOffset = Math.max(base, segment.nextOffset);
    }
    if (log.segments.length === 0) log.segments.push(log.createSegment(0));
    else if (log.active.nextOffset < log.logEndOffset) log.segments.push(log.createSegment(log.logEndOffset));
    const startFile = path.join(dir, START_OFFSET_FILE);
    if (fs.existsSync(startFile)) log.deletedBelow = Math.min(Number(fs.readFileSync(startFile, 'utf8')) || 0, log.logEndOffset);
    log.highWatermark = log.logEndOffset;
    return log;
  }

  get logStartOffset(): number {
    return Math.max(this.segments[0].baseOffset, this.deletedBelow);
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
  append(batch: Buffer, header: BatchHeader, now = Date.now()): { baseOffset: number; durable: Promise<void> } {
    const baseOffset = this.logEndOffset;
    const lastOffset = baseOffset + header.lastOffsetDelta;
    const { segmentBytes, segmentMs } = this.config;
    const active = this.active;
    const tooOld = segmentMs !== undefined && segmentMs >= 0 && active.count > 0 && now - active.maxTimestampAt(0) > segmentMs;
    if (active.size > 0 && (active.size + batch.length > segmentBytes || tooOld)) this.roll();
    assignBaseOffset(batch, baseOffset);
    this.active.append(batch, baseOffset, lastOffset, header.maxTimestamp, header);
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
    this.active.writeIndex();
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
      let bytes = segment.sizeAt(first);
      while (last + 1 < segment.count) {
        const nextSize = segment.sizeAt(last + 1);
        if (segment.baseOffsetAt(last + 1) >= upTo || bytes + nextSize > maxBytes) break;
        bytes += nextSize;
        last++;
      }
      if (segment.baseOffsetAt(first) >= upTo) return null;
      return segment.readRange(first, last);
    }
    return null;
  }

  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    const start = this.logStartOffset;
    for (const segment of this.segments) {
      if (segment.largestTimestamp < timestamp) continue;
      for (let i = 0; i < segment.count; i++) {
        const entry = segment.entry(i);
        if (entry.maxTimestamp < timestamp || entry.baseOffset >= this.highWatermark || entry.lastOffset < start) continue;
        const records = recordTimestamps(segment.readBatch(i));
        if (records === null) return { offset: Math.max(entry.baseOffset, start), timestamp: entry.maxTimestamp };
        const hit = records.find((r) => r.timestamp >= timestamp && r.offset >= start);
        if (hit) return hit;
      }
    }
    return null;
  }

  /** Base offsets of the segments, newest first (ListOffsets v0's answer). */
  segmentBaseOffsets(): Array<{ baseOffset: number; largestTimestamp: number }> {
    return this.segments.map((s) => ({ baseOffset: Math.max(s.baseOffset, this.logStartOffset), largestTimestamp: s.largestTimestamp })).reverse();
  }

  sizeInBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  /**
   * DeleteRecords: moves the log start to `offset` (at most the high watermark), durably, and
   * drops the segments wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): number {
    if (offset <= this.logStartOffset) return this.logStartOffset;
    this.deletedBelow = offset;
    if (this.dir !== null) writeFileDurably(path.join(this.dir, START_OFFSET_FILE), String(offset));
    while (this.segments.length > 1 && this.segments[1].baseOffset <= offset) this.dropOldest();
    return this.logStartOffset;
  }

  private dropOldest(): void {
    (this.segments.shift() as Segment).remove();
  }

  /** Applies the topic's cleanup policy: deletion by size and age, and/or compaction. */
  applyRetention(now: number): void {
    if (this.config.delete !== false) this.deleteOldSegments(now);
    if (this.config.compact) this.compact(now);
  }

  /** Drops whole old segments beyond the size or age limits; the active one only once rolled. */
  private deleteOldSegments(now: number): void {
    const retentionBytes = this.config.retentionBytes ?? -1;
    const retentionMs = this.config.retentionMs ?? -1;
    const expired = (s: Segment) => retentionMs >= 0 && s.size > 0 && s.largestTimestamp < now - retentionMs;
    if (expired(this.active) && this.highWatermark === this.logEndOffset) this.roll();
    let total = this.sizeInBytes();
    while (this.segments.length > 1) {
      const oldest = this.segments[0];
      if (oldest.baseOffset >= this.highWatermark) break;
      const tooBig = retentionBytes >= 0 && total - oldest.size >= retentionBytes;
      if (!tooBig && !expired(oldest)) break;
      if (oldest.nextOffset > this.highWatermark) break;
      total -= oldest.size;
      this.dropOldest();
    }
  }

  /**
   * Log compaction over the rolled segments (never the active one, as in Kafka): keeps the
   * last record per key, drops tombstones older than delete.retention.ms, and rewrites each
   * changed segment aside, fsyncs it and renames it over the old one. Offsets keep their gaps.
   * Batches in codecs this broker cannot read (snappy, lz4, zstd) are kept whole.
   */
  compact(now: number): void {
    const lag = this.config.minCompactionLagMs ?? 0;
    const rolled = this.segments.slice(0, -1);
    let cleanable = 0;
    while (cleanable < rolled.length && rolled[cleanable].largestTimestamp <= now - lag) cleanable++;
    if (cleanable === 0) return;
    const end = rolled[cleanable - 1].nextOffset;
    if (end <= this.cleanedThrough && now < this.nextTombstoneExpiry) return;
    const horizon = now - (this.config.deleteRetentionMs ?? 86_400_000);
    const latest = new Map<string, number>();
    for (const segment of rolled.slice(0, cleanable)) {
      for (let i = 0; i < segment.count; i++) {
        const batch = segment.readBatch(i);
        const base = segment.baseOffsetAt(i);
        for (const r of readableRecords(batch) ?? []) if (r.key !== null) latest.set(r.key.toString('latin1'), base + r.offsetDelta);
      }
    }
    let nextExpiry = Infinity;
    for (let s = 0; s < cleanable; s++) {
      const segment = this.segments[s];
      const kept: Buffer[] = [];
      let changed = false;
      for (let i = 0; i < segment.count; i++) {
        const batch = segment.readBatch(i);
        const records = readableRecords(batch);
        if (records === null) {
          kept.push(batch);
          continue;
        }
        const maxTimestamp = readBatchHeader(batch).maxTimestamp;
        const keep = records.filter((r) => {
          if (r.key === null) return true;
          if (latest.get(r.key.toString('latin1')) !== segment.baseOffsetAt(i) + r.offsetDelta) return false;
          if (r.value !== null) return true;
          if (maxTimestamp < horizon) return false;
          nextExpiry = Math.min(nextExpiry, maxTimestamp + (now - horizon));
          return true;
        });
        if (keep.length === records.length) kept.push(batch);
        else {
          changed = true;
          if (keep.length > 0) kept.push(rebuildBatch(batch, keep));
        }
      }
      if (changed) this.segments[s] = this.replaceSegment(segment, kept);
    }
    this.cleanedThrough = end;
    this.nextTombstoneExpiry = nextExpiry;
  }

  private replaceSegment(old: Segment, batches: Buffer[]): Segment {
    if (old.file === null || this.dir === null) {
      const fresh = new Segment(old.baseOffset, null, null);
      for (const b of batches) {
        const h = readBatchHeader(b);
        fresh.append(b, h.baseOffset, h.baseOffset + h.lastOffsetDelta, h.maxTimestamp, h);
      }
      return fresh;
    }
    const aside = `${old.file}.cleaned`;
    const fd = fs.openSync(aside, 'w');
    try {
      const data = Buffer.concat(batches);
      let written = 0;
      while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written, written);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    old.close();
    // The old index no longer describes the file; a crash before the new one is written means a scan on start.
    if (old.indexFile) fs.rmSync(old.indexFile, { force: true });
    fs.renameSync(aside, old.file);
    fsyncDir(this.dir);
    const fresh = recoverSegment(old.file, old.baseOffset, () => undefined);
    fresh.writeIndex();
    return fresh;
  }

  close(): void {
    this.closed = true;
    for (const s of this.segments) s.close();
  }
}
