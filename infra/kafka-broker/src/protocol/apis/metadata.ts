import { resolveTopic } from '../../server/context';
import { Topic } from '../../storage/topic-store';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const metadataApi: Api = {
  key: 3,
  minVersion: 1,
  maxVersion: 6,
  handle(ctx, { apiVersion: v }, r) {
    const requested = r.nullableArray((r) => r.string());
    const allowAuto = v >= 4 ? r.bool() : true;
    const topics: Array<{ name: string; error: number; topic?: Topic }> =
      requested === null || requested.length === 0
        ? ctx.topics.all().map((topic) => ({ name: topic.name, error: ErrorCode.NONE, topic }))
        : requested.map((name) => ({ name, ...resolveTopic(ctx, name, allowAuto) }));
    const { nodeId, host, port, clusterId } = ctx.settings;
    const w = new Writer();
    if (v >= 3) w.int32(0);
    w.array([nodeId], (w) => w.int32(nodeId).string(host).int32(port).string(null));
    if (v >= 2) w.string(clusterId);
    w.int32(nodeId);
    w.array(topics, (w, t) => {
      w.int16(t.error).string(t.name).bool(false);
      const indexes = (t.topic?.partitions ?? []).map((_, i) => i);
      w.array(indexes, (w, p) => {
        w.int16(ErrorCode.NONE).int32(p).int32(nodeId);
        w.array([nodeId], (w, id) => w.int32(id));
        w.array([nodeId], (w, id) => w.int32(id));
        if (v >= 5) w.array([], () => undefined);
      });
    });
    return w;
  },
};
