import { allowedOnGroup, allowedOnTopic } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const offsetFetchApi: Api = {
  key: 9,
  minVersion: 1,
  maxVersion: 4,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const groupId = r.string();
    const requested = r.nullableArray((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) }));
    const groupAllowed = allowedOnGroup(ctx, header, Operation.DESCRIBE, groupId);
    const topics =
      requested ??
      Object.values(
        (groupAllowed ? ctx.groups.allOffsets(groupId) : [])
          .filter((e) => allowedOnTopic(ctx, header, Operation.DESCRIBE, e.topic))
          .reduce<Record<string, { name: string; partitions: number[] }>>((acc, e) => {
            (acc[e.topic] ??= { name: e.topic, partitions: [] }).partitions.push(e.partition);
            return acc;
          }, {}),
      );
    const w = new Writer();
    if (v >= 3) w.int32(0);
    w.array(topics, (w, t) => {
      w.string(t.name);
      const topicAllowed = allowedOnTopic(ctx, header, Operation.DESCRIBE, t.name);
      w.array(t.partitions, (w, p) => {
        if (!groupAllowed || !topicAllowed) {
          w.int32(p).int64(-1).string('').int16(groupAllowed ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.GROUP_AUTHORIZATION_FAILED);
          return;
        }
        const committed = ctx.groups.fetchOffset(groupId, t.name, p);
        // Kafka never answers a null metadata: nothing committed, or committed with null, reads as "".
        w.int32(p).int64(committed.offset).string(committed.metadata ?? '').int16(ErrorCode.NONE);
      });
    });
    if (v >= 2) w.int16(groupAllowed ? ErrorCode.NONE : ErrorCode.GROUP_AUTHORIZATION_FAILED);
    return w;
  },
};
