import { allowedOnTopic } from '../../server/context';
import { Operation } from '../../security/acl';
import { PartitionLog } from '../../storage/partition-log';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

const LATEST = -1;
const EARLIEST = -2;

/**
 * v0's answer: up to `max` offsets, newest first. Latest gives the high watermark then each
 * segment's base offset; earliest gives the log start; a time gives the base offsets of the
 * segments whose records are all at or before it (Kafka keyed this on segment files).
 */
function legacyOffsets(log: PartitionLog, timestamp: number, max: number): number[] {
  const segments = log.segmentBaseOffsets();
  let offsets: number[];
  if (timestamp === LATEST) offsets = [log.highWatermark, ...segments.map((s) => s.baseOffset)];
  else if (timestamp === EARLIEST) offsets = [log.logStartOffset];
  else offsets = segments.filter((s) => s.largestTimestamp >= 0 && s.largestTimestamp <= timestamp).map((s) => s.baseOffset);
  return [...new Set(offsets)].slice(0, Math.max(0, max));
}

/** ListOffsets v0–5, the range Kafka 2.4 serves (v4 adds the leader epoch; v5 is v4 with Kafka's newer error semantics). */
export const listOffsetsApi: Api = {
  key: 2,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    r.int32();
    if (v >= 2) r.int8();
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => {
        const partition = r.int32();
        if (v >= 4) r.int32();
        const timestamp = r.int64();
        const max = v === 0 ? r.int32() : 1;
        return { partition, timestamp, max };
      }),
    }));
    const w = new Writer();
    if (v >= 2) w.int32(0);
    w.array(topics, (w, t) => {
      w.string(t.name);
      const permitted = allowedOnTopic(ctx, header, Operation.DESCRIBE, t.name);
      w.array(t.partitions, (w, p) => {
        const log = ctx.topics.partition(t.name, p.partition);
        w.int32(p.partition);
        const error = !permitted ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : !log ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE;
        if (v === 0) {
          w.int16(error);
          w.array(log && error === ErrorCode.NONE ? legacyOffsets(log, p.timestamp, p.max) : [], (w, o) => w.int64(o));
          return;
        }
        let hit: { offset: number; timestamp: number } | null = null;
        if (log && error === ErrorCode.NONE) {
          if (p.timestamp === LATEST) hit = { offset: log.highWatermark, timestamp: -1 };
          else if (p.timestamp === EARLIEST) hit = { offset: log.logStartOffset, timestamp: -1 };
          else hit = log.offsetForTimestamp(p.timestamp);
        }
        w.int16(error).int64(hit?.timestamp ?? -1).int64(hit?.offset ?? -1);
        if (v >= 4) w.int32(error === ErrorCode.NONE ? 0 : -1);
      });
    });
    return w;
  },
};
