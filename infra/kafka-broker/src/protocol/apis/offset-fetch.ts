import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const offsetFetchApi: Api = {
  key: 9,
  minVersion: 1,
  maxVersion: 4,
  handle(ctx, { apiVersion: v }, r) {
    const groupId = r.string();
    const requested = r.nullableArray((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) }));
    const topics =
      requested ??
      Object.values(
        ctx.groups.allOffsets(groupId).reduce<Record<string, { name: string; partitions: number[] }>>((acc, e) => {
          (acc[e.topic] ??= { name: e.topic, partitions: [] }).partitions.push(e.partition);
          return acc;
        }, {}),
      );
    const w = new Writer();
    if (v >= 3) w.int32(0);
    w.array(topics, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => {
        const committed = ctx.groups.fetchOffset(groupId, t.name, p);
        w.int32(p).int64(committed.offset).string(committed.metadata).int16(ErrorCode.NONE);
      });
    });
    if (v >= 2) w.int16(ErrorCode.NONE);
    return w;
  },
};
