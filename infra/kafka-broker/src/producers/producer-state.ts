import { ErrorCode } from '../protocol/errors';

const CACHED_BATCHES = 5;
const INT32_MAX = 2147483647;

interface CachedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  lastSeq: number;
  recent: CachedBatch[];
}

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number } | { kind: 'error'; error: number };

function nextSeq(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1;
}

/** Idempotent-producer bookkeeping for one partition. */
export class ProducerStates {
  private readonly producers = new Map<number, ProducerEntry>();

  check(producerId: number, epoch: number, firstSeq: number, count: number): SequenceCheck {
    if (producerId < 0) return { kind: 'append' };
    const entry = this.producers.get(producerId);
    if (!entry) return firstSeq === 0 ? { kind: 'append' } : { kind: 'error', error: ErrorCode.UNKNOWN_PRODUCER_ID };
    if (epoch < entry.epoch) return { kind: 'error', error: ErrorCode.INVALID_PRODUCER_EPOCH };
    if (epoch > entry.epoch) {
      return firstSeq === 0 ? { kind: 'append' } : { kind: 'error', error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    }
    const lastSeq = (firstSeq + count - 1) % (INT32_MAX + 1);
    const cached = entry.recent.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (cached) return { kind: 'duplicate', baseOffset: cached.baseOffset };
    if (firstSeq !== nextSeq(entry.lastSeq)) return { kind: 'error', error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    return { kind: 'append' };
  }

  record(producerId: number, epoch: number, firstSeq: number, count: number, baseOffset: number): void {
    if (producerId < 0) return;
    let entry = this.producers.get(producerId);
    if (!entry || epoch !== entry.epoch) {
      entry = { epoch, lastSeq: -1, recent: [] };
      this.producers.set(producerId, entry);
    }
    const lastSeq = (firstSeq + count - 1) % (INT32_MAX + 1);
    entry.lastSeq = lastSeq;
    entry.recent.push({ firstSeq, lastSeq, baseOffset });
    if (entry.recent.length > CACHED_BATCHES) entry.recent.shift();
  }

  maxProducerId(): number {
    let max = -1;
    for (const id of this.producers.keys()) if (id > max) max = id;
    return max;
  }
}
