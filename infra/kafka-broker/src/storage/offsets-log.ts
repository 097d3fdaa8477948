import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32c } from '../protocol/crc32c';
import { fdatasync, writeFileDurably } from './fs-sync';
import { GroupCommit } from './group-commit';

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

interface OffsetRecord {
  g: string;
  t: string;
  p: number;
  o: number;
  m: string | null;
  /** Set on a record that deletes the whole group (DeleteGroups). */
  d?: 1;
}

const COMPACT_AFTER_BYTES = 8 * 1024 * 1024;

function frame(records: OffsetRecord[]): Buffer {
  return Buffer.concat(
    records.map((r) => {
      const payload = Buffer.from(JSON.stringify(r));
      const head = Buffer.alloc(8);
      head.writeUInt32BE(payload.length, 0);
      head.writeUInt32BE(crc32c(payload), 4);
      return Buffer.concat([head, payload]);
    }),
  );
}

/**
 * Committed group offsets: an append-only file of CRC-framed records, replayed on start
 * (stopping at a torn tail) and rewritten as a snapshot when it grows.
 */
export class OffsetsLog {
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  private readonly file: string | null;
  private fd: number | null = null;
  private size = 0;
  private readonly commit: GroupCommit;

  constructor(dataDir: string | null) {
    this.commit = new GroupCommit(async () => {
      if (this.fd !== null) await fdatasync(this.fd);
    });
    this.file = dataDir === null ? null : path.join(dataDir, 'group-offsets.log');
    if (this.file === null) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    if (fs.existsSync(this.file)) this.replay(fs.readFileSync(this.file));
    this.compact();
  }

  private replay(data: Buffer): void {
    let at = 0;
    while (at + 8 <= data.length) {
      const length = data.readUInt32BE(at);
      if (at + 8 + length > data.length) break;
      const payload = data.subarray(at + 8, at + 8 + length);
      if (crc32c(payload) !== data.readUInt32BE(at + 4)) break;
      const r = JSON.parse(payload.toString('utf8')) as OffsetRecord;
      this.apply(r);
      at += 8 + length;
    }
  }

  private apply(r: OffsetRecord): void {
    if (r.d === 1) {
      this.offsets.delete(r.g);
      return;
    }
    let group = this.offsets.get(r.g);
    if (!group) this.offsets.set(r.g, (group = new Map()));
    group.set(`${r.p}:${r.t}`, { offset: r.o, metadata: r.m });
  }

  private snapshot(): OffsetRecord[] {
    const out: OffsetRecord[] = [];
    for (const [g, group] of this.offsets) {
      for (const [key, v] of group) {
        const sep = key.indexOf(':');
        out.push({ g, p: Number(key.slice(0, sep)), t: key.slice(sep + 1), o: v.offset, m: v.metadata });
      }
    }
    return out;
  }

  private compact(): void {
    if (this.file === null) return;
    if (this.fd !== null) fs.closeSync(this.fd);
    const data = frame(this.snapshot());
    writeFileDurably(this.file, data);
    this.fd = fs.openSync(this.file, 'a');
    this.size = data.length;
  }

  /** Stores at once (readers see it) and resolves when the commit is on disk. */
  commitOffsets(group: string, entries: Array<{ topic: string; partition: number } & CommittedOffset>): Promise<void> {
    const records = entries.map((e) => ({ g: group, t: e.topic, p: e.partition, o: e.offset, m: e.metadata }));
    for (const r of records) this.apply(r);
    if (this.fd === null) return Promise.resolve();
    if (this.size > COMPACT_AFTER_BYTES) {
      this.compact();
      return Promise.resolve();
    }
    const data = frame(records);
    fs.writeSync(this.fd, data);
    this.size += data.length;
    return this.commit.sync();
  }

  /** Forgets every offset of a group; resolves when that is on disk. */
  deleteGroup(group: string): Promise<void> {
    const record: OffsetRecord = { g: group, t: '', p: -1, o: -1, m: null, d: 1 };
    this.apply(record);
    if (this.fd === null) return Promise.resolve();
    const data = frame([record]);
    fs.writeSync(this.fd, data);
    this.size += data.length;
    return this.commit.sync();
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(`${partition}:${topic}`);
  }

  all(group: string): Array<{ topic: string; partition: number } & CommittedOffset> {
    const out: Array<{ topic: string; partition: number } & CommittedOffset> = [];
    for (const [key, v] of this.offsets.get(group) ?? []) {
      const sep = key.indexOf(':');
      out.push({ topic: key.slice(sep + 1), partition: Number(key.slice(0, sep)), ...v });
    }
    return out;
  }

  hasGroup(group: string): boolean {
    return (this.offsets.get(group)?.size ?? 0) > 0;
  }

  groups(): string[] {
    return [...this.offsets.keys()];
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
