import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsyncDir, writeFileDurably } from './fs-sync';
import { LogConfig, PartitionLog } from './partition-log';

export interface Topic {
  name: string;
  partitions: PartitionLog[];
}

const LEGAL_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function isLegalTopicName(name: string): boolean {
  return LEGAL_NAME.test(name) && name !== '.' && name !== '..';
}

/** Topics live in `<dataDir>/topics/<name>/` with a meta.json and one directory per partition. */
export class TopicStore {
  private readonly topics = new Map<string, Topic>();
  private readonly root: string | null;

  constructor(
    dataDir: string | null,
    private readonly config: LogConfig,
    private readonly onAdvance: (topic: string, partition: number) => void,
  ) {
    this.root = dataDir === null ? null : path.join(dataDir, 'topics');
    if (this.root === null) return;
    fs.mkdirSync(this.root, { recursive: true });
    for (const name of fs.readdirSync(this.root)) {
      const dir = path.join(this.root, name);
      if (name.startsWith('.deleted-')) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const metaFile = path.join(dir, 'meta.json');
      if (!fs.existsSync(metaFile)) continue;
      const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as { name: string; partitions: number };
      this.topics.set(meta.name, this.openTopic(meta.name, meta.partitions));
    }
  }

  private openTopic(name: string, count: number): Topic {
    const partitions = Array.from({ length: count }, (_, p) =>
      PartitionLog.open(this.root === null ? null : path.join(this.root, name, String(p)), this.config, () =>
        this.onAdvance(name, p),
      ),
    );
    return { name, partitions };
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  partition(name: string, partition: number): PartitionLog | undefined {
    return this.topics.get(name)?.partitions[partition];
  }

  all(): Topic[] {
    return [...this.topics.values()];
  }

  create(name: string, partitions: number): Topic {
    if (this.root !== null) {
      const dir = path.join(this.root, name);
      fs.mkdirSync(dir, { recursive: true });
      writeFileDurably(path.join(dir, 'meta.json'), JSON.stringify({ name, partitions }));
      fsyncDir(this.root);
    }
    const topic = this.openTopic(name, partitions);
    this.topics.set(name, topic);
    return topic;
  }

  delete(name: string): boolean {
    const topic = this.topics.get(name);
    if (!topic) return false;
    this.topics.delete(name);
    for (const p of topic.partitions) p.close();
    if (this.root !== null) {
      const doomed = path.join(this.root, `.deleted-${Date.now()}-${name}`);
      fs.renameSync(path.join(this.root, name), doomed);
      fsyncDir(this.root);
      fs.rm(doomed, { recursive: true, force: true }, () => undefined);
    }
    return true;
  }

  applyRetention(now: number): void {
    for (const topic of this.topics.values()) for (const p of topic.partitions) p.applyRetention(now);
  }

  close(): void {
    for (const topic of this.topics.values()) for (const p of topic.partitions) p.close();
  }
}
