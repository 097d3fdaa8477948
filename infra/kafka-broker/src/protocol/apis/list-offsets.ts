import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

const LATEST = -1;
const EARLIEST = -2;

export const listOffsetsApi: Api = {
  key: 2,
  minVersion: 1,
  maxVersion: 3,
  handle(ctx, { apiVersion: v }, r) {
    r.int32();
    if (v >= 2) r.int8();
    const topics = r.array((r) => ({ name: r.string(), partitions: r.array((r) => ({ partition: r.int32(), timestamp: r.int64() })) }));
    const w = new Writer();
    if (v >= 2) w.int32(0);
    w.array(topics, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => {
        const log = ctx.topics.partition(t.name, p.partition);
        w.int32(p.partition);
        if (!log) {
          w.int16(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).int64(-1).int64(-1);
          return;
        }
        if (p.timestamp === LATEST) w.int16(0).int64(-1).int64(log.highWatermark);
        else if (p.timestamp === EARLIEST) w.int16(0).int64(-1).int64(log.logStartOffset);
        else {
          const hit = log.offsetForTimestamp(p.timestamp);
          w.int16(0).int64(hit?.timestamp ?? -1).int64(hit?.offset ?? -1);
        }
      });
    });
    return w;
  },
};
