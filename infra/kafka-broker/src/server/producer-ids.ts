import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileDurably } from '../storage/fs-sync';

/** Hands out producer ids that stay unique across restarts. */
export class ProducerIdAllocator {
  private next: number;
  private readonly file: string | null;

  constructor(dataDir: string | null, atLeast: number) {
    this.file = dataDir === null ? null : path.join(dataDir, 'next-producer-id');
    const stored = this.file !== null && fs.existsSync(this.file) ? Number(fs.readFileSync(this.file, 'utf8')) : 0;
    this.next = Math.max(stored, atLeast, 0);
  }

  allocate(): number {
    const id = this.next++;
    if (this.file !== null) writeFileDurably(this.file, String(this.next));
    return id;
  }
}
