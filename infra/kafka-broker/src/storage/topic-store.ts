import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsyncDir, writeFileDurably } from './fs-sync';
import { LogConfig, PartitionLog } from './partition-log';
import { EffectiveConfig, TopicDefaults, effectiveConfig } from './topic-config';

export interface Topic {
  name: string;
  partitions: PartitionLog[];
  /** The topic's own config overrides (DescribeConfigs source DYNAMIC_TOPIC_CONFIG). */
  configs: Record<string, string>;
  effective: EffectiveConfig;
}

interface TopicMeta {
  name: string;
  partitions: number;
  configs?: Record<string, string>;
}

const LEGAL_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const MIN_DERIVED_SEGMENT = 4096;

export function isLegalTopicName(name: string): boolean {
  return LEGAL_NAME.test(name) && name !== '.' && name !== '..';
}

/** Topics live in `<dataDir>/topics/<name>/` with a meta.json (partition count, config overrides) and one directory per partition. */
export class TopicStore {
  private readonly topics = new Map<string, Topic>();
  private readonly root: string | null;

  constructor(
    dataDir: string | null,
    readonly defaults: TopicDefaults,
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
      const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as TopicMeta;
      this.topics.set(meta.name, this.openTopic(meta.name, meta.partitions, meta.configs ?? {}));
    }
  }

  /** What a partition log acts on, from the topic's overrides and the broker defaults. */
  private logConfig(configs: Record<string, string>, effective: EffectiveConfig): LogConfig {
    // Without its own segment.bytes, a topic with a size limit rolls at a quarter of it, so retention can act.
    const derived =
      configs['segment.bytes'] === undefined && effective.retentionBytes >= 0
        ? Math.max(MIN_DERIVED_SEGMENT, Math.min(effective.segmentBytes, Math.floor(effective.retentionBytes / 4)))
        : effective.segmentBytes;
    return {
      segmentBytes: derived,
      segmentMs: configs['segment.ms'] === undefined ? undefined : effective.segmentMs,
      retentionBytes: effective.retentionBytes,
      retentionMs: effective.retentionMs,
      delete: effective.delete,
      compact: effective.compact,
      deleteRetentionMs: effective.deleteRetentionMs,
      minCompactionLagMs: effective.minCompactionLagMs,
    };
  }

  private partitionDir(name: string, p: number): string | null {
    return this.root === null ? null : path.join(this.root, name, String(p));
  }

  private openTopic(name: string, count: number, configs: Record<string, string>): Topic {
    const effective = effectiveConfig(configs, this.defaults);
    const logConfig = this.logConfig(configs, effective);
    const partitions = Array.from({ length: count }, (_, p) => PartitionLog.open(this.partitionDir(name, p), logConfig, () => this.onAdvance(name, p)));
    return { name, partitions, configs: { ...configs }, effective };
  }

  private writeMeta(topic: Topic): void {
    if (this.root === null) return;
    const dir = path.join(this.root, topic.name);
    fs.mkdirSync(dir, { recursive: true });
    const meta: TopicMeta = { name: topic.name, partitions: topic.partitions.length, configs: topic.configs };
    writeFileDurably(path.join(dir, 'meta.json'), JSON.stringify(meta));
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

  /** Creates a topic with validated config overrides. */
  create(name: string, partitions: number, configs: Record<string, string> = {}): Topic {
    if (this.root !== null) {
      fs.mkdirSync(path.join(this.root, name), { recursive: true });
      writeFileDurably(path.join(this.root, name, 'meta.json'), JSON.stringify({ name, partitions, configs }));
      fsyncDir(this.root);
    }
    const topic = this.openTopic(name, partitions, configs);
    this.topics.set(name, topic);
    return topic;
  }

  /** Replaces a topic's overrides (already validated), durably, and applies them to its partitions at once. */
  setConfigs(name: string, configs: Record<string, string>): void {
    const topic = this.topics.get(name);
    if (!topic) return;
    topic.configs = { ...configs };
    topic.effective = effectiveConfig(topic.configs, this.defaults);
    this.writeMeta(topic);
    const logConfig = this.logConfig(topic.configs, topic.effective);
    for (const p of topic.partitions) p.config = logConfig;
  }

  /** CreatePartitions: grows a topic to `count` partitions. */
  addPartitions(name: string, count: number): void {
    const topic = this.topics.get(name);
    if (!topic || count <= topic.partitions.length) return;
    const logConfig = this.logConfig(topic.configs, topic.effective);
    for (let p = topic.partitions.length; p < count; p++) {
      topic.partitions.push(PartitionLog.open(this.partitionDir(name, p), logConfig, () => this.onAdvance(name, p)));
    }
    this.writeMeta(topic);
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
