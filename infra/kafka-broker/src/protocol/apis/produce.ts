import { BrokerContext, RequestHeader, allowedOnTopic } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { BatchHeader, checkProducedBatch } from '../record-batch';
import { decodeRecords } from '../records';
import { Api } from './api';

const TRANSACTIONAL = 0x10;

interface PartitionResult {
  partition: number;
  error: number;
  baseOffset: number;
  logStartOffset: number;
}

/** Kafka's LogValidator checks that depend on topic config: keys on compacted topics, timestamp drift. */
function topicRuleError(records: Buffer, h: BatchHeader, compact: boolean, maxDriftMs: number, now: number): number | null {
  const checkDrift = maxDriftMs < Number.MAX_SAFE_INTEGER;
  if (!compact && !checkDrift) return null;
  let decoded;
  try {
    decoded = decodeRecords(records);
  } catch {
    return ErrorCode.CORRUPT_MESSAGE;
  }
  if (decoded === null) {
    // Codecs this broker cannot read: only the batch-level timestamps can be checked.
    if (checkDrift && (Math.abs(now - h.baseTimestamp) > maxDriftMs || Math.abs(now - h.maxTimestamp) > maxDriftMs)) return ErrorCode.INVALID_TIMESTAMP;
    return null;
  }
  // "Compacted topic cannot accept message without key" is CORRUPT_MESSAGE in Kafka 2.4.
  if (compact && decoded.some((r) => r.key === null)) return ErrorCode.CORRUPT_MESSAGE;
  if (checkDrift && (h.attributes & 0x08) === 0 && decoded.some((r) => Math.abs(now - (h.baseTimestamp + r.timestampDelta)) > maxDriftMs)) return ErrorCode.INVALID_TIMESTAMP;
  return null;
}

function appendPartition(ctx: BrokerContext, topic: string, partition: number, records: Buffer | null, acks: number, waits: Promise<unknown>[]): PartitionResult {
  const fail = (error: number): PartitionResult => ({ partition, error, baseOffset: -1, logStartOffset: -1 });
  const owner = ctx.topics.get(topic);
  const log = owner?.partitions[partition];
  if (!owner || !log) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (records === null) return fail(ErrorCode.CORRUPT_MESSAGE);
  const config = owner.effective;
  const check = checkProducedBatch(records, Math.min(ctx.settings.maxBatchBytes, config.maxMessageBytes));
  if (!check.ok) return fail(check.error);
  const h = check.header;
  if ((h.attributes & TRANSACTIONAL) !== 0) return fail(ErrorCode.UNSUPPORTED_VERSION);
  // One replica: acks=all can never meet a min.insync.replicas above 1 (Kafka: NotEnoughReplicas).
  if (acks === -1 && config.minInsyncReplicas > 1) return fail(ErrorCode.NOT_ENOUGH_REPLICAS);
  const ruleError = topicRuleError(records, h, config.compact, config.timestampDifferenceMaxMs, Date.now());
  if (ruleError !== null) return fail(ruleError);
  const seq = log.producers.check(h.producerId, h.producerEpoch, h.baseSequence, h.recordCount);
  if (seq.kind === 'error') return fail(seq.error);
  if (seq.kind === 'duplicate') return { partition, error: ErrorCode.NONE, baseOffset: seq.baseOffset, logStartOffset: log.logStartOffset };
  let appended: { baseOffset: number; durable: Promise<void> };
  try {
    appended = log.append(records, h);
  } catch (error) {
    // A full disk (ENOSPC, EDQUOT) or a failing one: nothing of the batch is acknowledged or counted
    // (the log end and the producer's sequence move only after the write), the producer is told
    // KAFKA_STORAGE_ERROR (retriable) and retries; the next batch after room is made is written where
    // this one would have been.
    refuseWrite(topic, partition, error);
    return fail(ErrorCode.KAFKA_STORAGE_ERROR);
  }
  const { baseOffset, durable } = appended;
  const result: PartitionResult = { partition, error: ErrorCode.NONE, baseOffset, logStartOffset: log.logStartOffset };
  waits.push(
    durable.catch(() => {
      result.error = ErrorCode.KAFKA_STORAGE_ERROR;
      result.baseOffset = -1;
    }),
  );
  return result;
}

let lastRefusalWarning = 0;

/** One clear line (at most every 10 s) while writes are refused, instead of a closed connection. */
function refuseWrite(topic: string, partition: number, error: unknown): void {
  const now = Date.now();
  if (now - lastRefusalWarning < 10_000) return;
  lastRefusalWarning = now;
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : `the write failed (${code ?? String(error)})`;
  process.stderr.write(`kafka-broker: refusing writes to ${topic}-${partition}: ${reason}; producers get KAFKA_STORAGE_ERROR and retry\n`);
}

function requestError(ctx: BrokerContext, header: RequestHeader, transactionalId: string | null, acks: number, topic: string): number | null {
  // Transactions are not implemented: answered as by a broker without them, not as an authorization failure.
  if (transactionalId !== null) return ErrorCode.UNSUPPORTED_VERSION;
  if (acks !== 0 && acks !== 1 && acks !== -1) return ErrorCode.INVALID_REQUIRED_ACKS;
  if (!allowedOnTopic(ctx, header, Operation.WRITE, topic)) return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  return null;
}

export const produceApi: Api = {
  key: 0,
  minVersion: 3,
  maxVersion: 7,
  async handle(ctx, header, r) {
    const v = header.apiVersion;
    const transactionalId = r.nullableString();
    const acks = r.int16();
    r.int32();
    const request = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), records: r.nullableBytes() })),
    }));
    const waits: Promise<unknown>[] = [];
    let refused = false;
    const results = request.map((t) => {
      const invalid = requestError(ctx, header, transactionalId, acks, t.name);
      if (invalid !== null) refused = true;
      return {
        name: t.name,
        partitions: t.partitions.map((p) =>
          invalid !== null ? { partition: p.partition, error: invalid, baseOffset: -1, logStartOffset: -1 } : appendPartition(ctx, t.name, p.partition, p.records, acks, waits),
        ),
      };
    });
    if (acks === 0 && !refused) return null;
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
