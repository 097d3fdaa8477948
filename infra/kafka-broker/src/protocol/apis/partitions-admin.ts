import { allowedOnGroup, allowedOnTopic } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

const MAX_PARTITIONS = 10_000;

/** CreatePartitions v0–1: grows a topic; shrinking or staying equal is INVALID_PARTITIONS, as in Kafka. */
export const createPartitionsApi: Api = {
  key: 37,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, header, r) {
    const requests = r.array((r) => ({ name: r.string(), count: r.int32(), assignments: r.nullableArray((r) => r.array((r) => r.int32())) }));
    r.int32();
    const validateOnly = r.bool();
    const seen = new Set<string>();
    const results = requests.map((t) => {
      const fail = (error: number, message: string) => ({ name: t.name, error, message });
      if (seen.has(t.name)) return fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic in request.');
      seen.add(t.name);
      if (!allowedOnTopic(ctx, header, Operation.ALTER, t.name)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
      const topic = ctx.topics.get(t.name);
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`);
      const current = topic.partitions.length;
      if (t.count < current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${t.count}.`);
      if (t.count === current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
      if (t.count > MAX_PARTITIONS) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be at most ${MAX_PARTITIONS}.`);
      if (t.assignments !== null) {
        const valid = t.assignments.length === t.count - current && t.assignments.every((a) => a.length > 0 && a.every((b) => b === ctx.settings.nodeId));
        if (!valid) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Replica assignment must name broker ${ctx.settings.nodeId} for each new partition.`);
      }
      if (!validateOnly) ctx.topics.addPartitions(t.name, t.count);
      return { name: t.name, error: ErrorCode.NONE, message: null };
    });
    return new Writer().int32(0).array(results, (w, t) => w.string(t.name).int16(t.error).string(t.message));
  },
};

/** DeleteRecords v0–1: moves each partition's log start offset (-1 means the high watermark). */
export const deleteRecordsApi: Api = {
  key: 21,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, header, r) {
    const topics = r.array((r) => ({ name: r.string(), partitions: r.array((r) => ({ partition: r.int32(), offset: r.int64() })) }));
    r.int32();
    const w = new Writer().int32(0);
    return w.array(topics, (w, t) => {
      w.string(t.name);
      const permitted = allowedOnTopic(ctx, header, Operation.DELETE, t.name);
      w.array(t.partitions, (w, p) => {
        const log = ctx.topics.partition(t.name, p.partition);
        w.int32(p.partition);
        if (!permitted) return void w.int64(-1).int16(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        if (!log) return void w.int64(-1).int16(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const target = p.offset === -1 ? log.highWatermark : p.offset;
        if (target < 0 || target > log.highWatermark) return void w.int64(-1).int16(ErrorCode.OFFSET_OUT_OF_RANGE);
        w.int64(log.deleteRecordsBefore(target)).int16(ErrorCode.NONE);
      });
    });
  },
};

/** DeleteGroups v0–1: only groups without members; their committed offsets go too. */
export const deleteGroupsApi: Api = {
  key: 42,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, header, r) {
    const ids = r.array((r) => r.string());
    const results: Array<{ id: string; error: number }> = [];
    for (const id of ids) {
      const error = allowedOnGroup(ctx, header, Operation.DELETE, id) ? await ctx.groups.deleteGroup(id) : ErrorCode.GROUP_AUTHORIZATION_FAILED;
      results.push({ id, error });
    }
    return new Writer().int32(0).array(results, (w, res) => w.string(res.id).int16(res.error));
  },
};
