import { BrokerContext } from '../../server/context';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { checkProducedBatch } from '../record-batch';
import { Api } from './api';

const KAFKA_STORAGE_ERROR = 56;

interface PartitionResult {
  partition: number;
  error: number;
  baseOffset: number;
  logStartOffset: number;
}

function appendPartition(ctx: BrokerContext, topic: string, partition: number, records: Buffer | null, waits: Promise<unknown>[]): PartitionResult {
  const fail = (error: number): PartitionResult => ({ partition, error, baseOffset: -1, logStartOffset: -1 });
  const log = ctx.topics.partition(topic, partition);
  if (!log) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (records === null) return fail(ErrorCode.CORRUPT_MESSAGE);
  const check = checkProducedBatch(records, ctx.settings.maxBatchBytes);
  if (!check.ok) return fail(check.error);
  const h = check.header;
  const seq = log.producers.check(h.producerId, h.producerEpoch, h.baseSequence, h.recordCount);
  if (seq.kind === 'error') return fail(seq.error);
  if (seq.kind === 'duplicate') return { partition, error: ErrorCode.NONE, baseOffset: seq.baseOffset, logStartOffset: log.logStartOffset };
  const { baseOffset, durable } = log.append(records, h);
  const result: PartitionResult = { partition, error: ErrorCode.NONE, baseOffset, logStartOffset: log.logStartOffset };
  waits.push(
    durable.catch(() => {
      result.error = KAFKA_STORAGE_ERROR;
      result.baseOffset = -1;
    }),
  );
  return result;
}

export const produceApi: Api = {
  key: 0,
  minVersion: 3,
  maxVersion: 7,
  async handle(ctx, { apiVersion: v }, r) {
    const transactionalId = r.nullableString();
    const acks = r.int16();
    r.int32();
    const request = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), records: r.nullableBytes() })),
    }));
    const waits: Promise<unknown>[] = [];
    const invalid =
      transactionalId !== null ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : acks !== 0 && acks !== 1 && acks !== -1 ? ErrorCode.INVALID_REQUIRED_ACKS : null;
    const results = request.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) =>
        invalid !== null
          ? { partition: p.partition, error: invalid, baseOffset: -1, logStartOffset: -1 }
          : appendPartition(ctx, t.name, p.partition, p.records, waits),
      ),
    }));
    if (acks === 0 && invalid === null) return null;
    await Promise.all(waits);
    const w = new Writer();
    w.array(results, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => {
        w.int32(p.partition).int16(p.error).int64(p.baseOffset).int64(-1);
        if (v >= 5) w.int64(p.logStartOffset);
      });
    });
    return w.int32(0);
  },
};
