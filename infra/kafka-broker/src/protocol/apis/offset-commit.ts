import { allowedOnGroup, allowedOnTopic } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

/** Kafka's offset.metadata.max.bytes default. */
const MAX_METADATA_CHARS = 4096;

export const offsetCommitApi: Api = {
  key: 8,
  minVersion: 2,
  maxVersion: 5,
  async handle(ctx, header, r) {
    const v = header.apiVersion;
    const groupId = r.string();
    const generation = r.int32();
    const memberId = r.string();
    if (v <= 4) r.int64();
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), offset: r.int64(), metadata: r.nullableString() })),
    }));
    // Per partition: refused topics and oversized metadata are answered on their own, the rest are committed.
    const groupAllowed = allowedOnGroup(ctx, header, Operation.READ, groupId);
    const own = new Map<string, number>();
    const key = (topic: string, partition: number) => `${partition}:${topic}`;
    for (const t of topics) {
      const topicAllowed = allowedOnTopic(ctx, header, Operation.READ, t.name);
      for (const p of t.partitions) {
        if (!groupAllowed) own.set(key(t.name, p.partition), ErrorCode.GROUP_AUTHORIZATION_FAILED);
        else if (!topicAllowed) own.set(key(t.name, p.partition), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        else if (!ctx.topics.partition(t.name, p.partition)) own.set(key(t.name, p.partition), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else if (p.metadata !== null && p.metadata.length > MAX_METADATA_CHARS) own.set(key(t.name, p.partition), ErrorCode.OFFSET_METADATA_TOO_LARGE);
      }
    }
    // Kafka stores a null metadata as "" (OffsetAndMetadata.NoMetadata), so OffsetFetch returns "".
    const entries = topics.flatMap((t) =>
      t.partitions.filter((p) => !own.has(key(t.name, p.partition))).map((p) => ({ topic: t.name, partition: p.partition, offset: p.offset, metadata: p.metadata ?? '' })),
    );
    let error: number = ErrorCode.NONE;
    if (entries.length > 0) {
      const commit = ctx.groups.commit(groupId, memberId, generation, entries);
      error = commit.error;
      await commit.durable.catch(() => {
        error = ErrorCode.KAFKA_STORAGE_ERROR;
      });
    }
    const w = new Writer();
    if (v >= 3) w.int32(0);
    w.array(topics, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => w.int32(p.partition).int16(own.get(key(t.name, p.partition)) ?? error));
    });
    return w;
  },
};
