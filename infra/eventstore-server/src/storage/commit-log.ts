import { closeSync, existsSync, fdatasync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeRecord } from './record-codec';
import type { EventRecord } from './event-record';

const MAGIC = Buffer.from('KAIROSES0001\0\0\0\0', 'latin1');
/** First record position; positions are never 0, so (0,0) keeps meaning "start". */
export const LOG_START = MAGIC.length;

/** Where acknowledged writes go. The memory log acknowledges at once; the file log after fdatasync. */
export interface CommitLog {
  /** Appends the bytes and resolves once they are durable. Calls resolve in call order. */
  append(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

export class MemoryLog implements CommitLog {
  append(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Pending {
  readonly bytes: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * An append-only file with group commit: writes that arrive while an fdatasync is running wait and
 * share the next one, so concurrent writers cost one disk flush per round, not one each.
 */
export class FileLog implements CommitLog {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    private readonly fd: number,
    private end: number,
  ) {}

  /** Opens (or creates) the log, replays complete writes and cuts off a torn tail. */
  static open(dir: string, onRecord: (record: EventRecord) => void): { log: FileLog; end: number; truncatedBytes: number } {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'events.log');
    const fresh = !existsSync(path);
    const fd = openSync(path, fresh ? 'w+' : 'r+');
    if (fresh) {
      writeFully(fd, MAGIC, 0);
      fsyncSync(fd);
      syncDirectory(dir);
    }
    const content = readFileSync(path);
    if (content.length < LOG_START || !content.subarray(0, MAGIC.length).equals(MAGIC)) {
      closeSync(fd);
      throw new Error(`${path} is not a Kairos event log`);
    }
    let offset = LOG_START;
    let committed = LOG_START;
    let batch: EventRecord[] = [];
    while (offset < content.length) {
      const decoded = decodeRecord(content, offset, offset);
      if (!decoded.ok) break;
      batch.push(decoded.record);
      offset = decoded.next;
      if (decoded.commitEnd) {
        for (const record of batch) onRecord(record);
        batch = [];
        committed = offset;
      }
    }
    const truncatedBytes = content.length - committed;
    if (truncatedBytes > 0) {
      ftruncateSync(fd, committed);
      fsyncSync(fd);
    }
    return { log: new FileLog(fd, committed), end: committed, truncatedBytes };
  }

  append(bytes: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('event log is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    closeSync(this.fd);
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const bytes = batch.length === 1 ? batch[0].bytes : Buffer.concat(batch.map((p) => p.bytes));
        await writeAsync(this.fd, bytes, this.end);
        await new Promise<void>((resolve, reject) => fdatasync(this.fd, (e) => (e ? reject(e) : resolve())));
        this.end += bytes.length;
        for (const p of batch) p.resolve();
      } catch (error) {
        // After a failed write or fsync the file's state is unknown: stop accepting writes (fail-stop).
        this.failure = new Error(`event log write failed: ${(error as Error).message}`);
        for (const p of [...batch, ...this.queue]) p.reject(this.failure);
        this.queue = [];
      }
    }
    this.flushing = null;
  }
}

function writeFully(fd: number, bytes: Buffer, position: number): void {
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
