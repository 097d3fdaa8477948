import { allowedOnTopic, resolveTopic } from '../../server/context';
import { Operation } from '../../security/acl';
import { Topic } from '../../storage/topic-store';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const metadataApi: Api = {
  key: 3,
  minVersion: 1,
  maxVersion: 6,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const requested = r.nullableArray((r) => r.string());
    const allowAuto = v >= 4 ? r.bool() : true;
    const topics: Array<{ name: string; error: number; topic?: Topic }> =
      requested === null || requested.length === 0
        ? ctx.topics
            .all()
            .filter((topic) => allowedOnTopic(ctx, header, Operation.DESCRIBE, topic.name))
            .map((topic) => ({ name: topic.name, error: ErrorCode.NONE, topic }))
        : requested.map((name) => {
            // An existing topic the caller may not describe is TOPIC_AUTHORIZATION_FAILED; a missing one may be created if allowed.
            if (ctx.topics.get(name) && !allowedOnTopic(ctx, header, Operation.DESCRIBE, name)) return { name, error: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            return { name, ...resolveTopic(ctx, name, allowAuto, header) };
          });
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
