import { BrokerContext, RequestHeader, allowedOnTopic } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

interface FetchPartition {
  partition: number;
  fetchOffset: number;
  maxBytes: number;
}

interface PartitionData {
  partition: number;
  error: number;
  highWatermark: number;
  logStartOffset: number;
  records: Buffer | null;
}

const EMPTY = Buffer.alloc(0);

function readAll(ctx: BrokerContext, header: RequestHeader, topics: Array<{ name: string; partitions: FetchPartition[] }>, maxBytes: number) {
  let budget = maxBytes;
  let total = 0;
  const result = topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): PartitionData => {
      if (!allowedOnTopic(ctx, header, Operation.READ, t.name)) {
        return { partition: p.partition, error: ErrorCode.TOPIC_AUTHORIZATION_FAILED, highWatermark: -1, logStartOffset: -1, records: null };
      }
      const log = ctx.topics.partition(t.name, p.partition);
      if (!log) return { partition: p.partition, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, logStartOffset: -1, records: null };
      const base = { partition: p.partition, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset };
      if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.logEndOffset) {
        return { ...base, error: ErrorCode.OFFSET_OUT_OF_RANGE, records: null };
      }
      // Always hand out the first batch whole, even past the limits, or a consumer would stall on it.
      const limit = total === 0 ? Math.max(1, Math.min(p.maxBytes, budget)) : Math.min(p.maxBytes, budget);
      const records = limit > 0 ? log.read(p.fetchOffset, limit) : null;
      const size = records?.length ?? 0;
      if (total > 0 && size > limit) return { ...base, error: ErrorCode.NONE, records: EMPTY };
      total += size;
      budget -= size;
      return { ...base, error: ErrorCode.NONE, records: records ?? EMPTY };
    }),
  }));
  return { result, total };
}

export const fetchApi: Api = {
  key: 1,
  minVersion: 4,
  maxVersion: 11,
  async handle(ctx, header, r) {
    const v = header.apiVersion;
    r.int32();
    const maxWaitMs = r.int32();
    const minBytes = r.int32();
    const maxBytes = r.int32();
    const isolation = r.int8();
    if (v >= 7) {
      r.int32();
      r.int32();
    }
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r): FetchPartition => {
        const partition = r.int32();
        if (v >= 9) r.int32();
        const fetchOffset = r.int64();
        if (v >= 5) r.int64();
        return { partition, fetchOffset, maxBytes: r.int32() };
      }),
    }));
    const deadline = Date.now() + Math.max(0, maxWaitMs);
    let read = readAll(ctx, header, topics, maxBytes);
    while (read.total < Math.max(1, minBytes) && Date.now() < deadline && !read.result.some((t) => t.partitions.some((p) => p.error !== 0))) {
      const keys = topics.flatMap((t) => t.partitions.map((p) => `${t.name}:${p.partition}`));
      await ctx.fetchWaiters.wait(keys, deadline - Date.now());
      if (ctx.closing) break;
      read = readAll(ctx, header, topics, maxBytes);
    }
    const w = new Writer().int32(0);
    if (v >= 7) w.int16(ErrorCode.NONE).int32(0);
    w.array(read.result, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => {
        w.int32(p.partition).int16(p.error).int64(p.highWatermark).int64(p.highWatermark);
        if (v >= 5) w.int64(p.logStartOffset);
        w.array(isolation === 1 ? [] : null, () => undefined);
        if (v >= 11) w.int32(-1);
        w.bytes(p.records);
      });
    });
    return w;
  },
};
