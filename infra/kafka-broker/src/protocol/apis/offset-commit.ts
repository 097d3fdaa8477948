import { Writer } from '../encoding';
import { Api } from './api';

const KAFKA_STORAGE_ERROR = 56;

export const offsetCommitApi: Api = {
  key: 8,
  minVersion: 2,
  maxVersion: 5,
  async handle(ctx, { apiVersion: v }, r) {
    const groupId = r.string();
    const generation = r.int32();
    const memberId = r.string();
    if (v <= 4) r.int64();
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), offset: r.int64(), metadata: r.nullableString() })),
    }));
    const entries = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
    const commit = ctx.groups.commit(groupId, memberId, generation, entries);
    let error = commit.error;
    await commit.durable.catch(() => {
      error = KAFKA_STORAGE_ERROR;
    });
    const w = new Writer();
    if (v >= 3) w.int32(0);
    w.array(topics, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => w.int32(p.partition).int16(error));
    });
    return w;
  },
};
