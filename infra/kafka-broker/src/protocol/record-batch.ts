import { gunzipSync } from 'node:zlib';
import { crc32c } from './crc32c';
import { ErrorCode } from './errors';

export const BATCH_HEADER_SIZE = 61;
const CODEC_GZIP = 1;

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  return {
    baseOffset: Number(buf.readBigInt64BE(at)),
    batchLength: buf.readInt32BE(at + 8),
    magic: buf.readInt8(at + 16),
    crc: buf.readUInt32BE(at + 17),
    attributes: buf.readInt16BE(at + 21),
    lastOffsetDelta: buf.readInt32BE(at + 23),
    baseTimestamp: Number(buf.readBigInt64BE(at + 27)),
    maxTimestamp: Number(buf.readBigInt64BE(at + 35)),
    producerId: Number(buf.readBigInt64BE(at + 43)),
    producerEpoch: buf.readInt16BE(at + 51),
    baseSequence: buf.readInt32BE(at + 53),
    recordCount: buf.readInt32BE(at + 57),
  };
}

export function batchCrcMatches(buf: Buffer, at = 0, size = buf.length - at): boolean {
  return buf.readUInt32BE(at + 17) === crc32c(buf, at + 21, at + size);
}

export type BatchCheck = { ok: true; header: BatchHeader } | { ok: false; error: number };

/** A produce request must carry exactly one well-formed v2 batch per partition. */
export function checkProducedBatch(buf: Buffer, maxBytes: number): BatchCheck {
  if (buf.length > maxBytes) return { ok: false, error: ErrorCode.MESSAGE_TOO_LARGE };
  if (buf.length < BATCH_HEADER_SIZE) return { ok: false, error: ErrorCode.CORRUPT_MESSAGE };
  const header = readBatchHeader(buf);
  if (header.magic !== 2) return { ok: false, error: ErrorCode.CORRUPT_MESSAGE };
  if (header.batchLength + 12 !== buf.length) return { ok: false, error: ErrorCode.CORRUPT_MESSAGE };
  if (!batchCrcMatches(buf)) return { ok: false, error: ErrorCode.CORRUPT_MESSAGE };
  if (header.recordCount < 1 || header.lastOffsetDelta !== header.recordCount - 1) {
    return { ok: false, error: ErrorCode.CORRUPT_MESSAGE };
  }
  if ((header.attributes & 0x20) !== 0) return { ok: false, error: ErrorCode.INVALID_REQUEST };
  if ((header.attributes & 0x07) === CODEC_GZIP) {
    try {
      gunzipSync(buf.subarray(BATCH_HEADER_SIZE));
    } catch {
      return { ok: false, error: ErrorCode.CORRUPT_MESSAGE };
    }
  }
  return { ok: true, header };
}

export function assignBaseOffset(buf: Buffer, baseOffset: number): void {
  buf.writeBigInt64BE(BigInt(baseOffset), 0);
  buf.writeInt32BE(0, 12);
}

function readVarint(buf: Buffer, pos: { at: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos.at++];
    if (b === undefined) throw new Error('truncated varint');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

/** Timestamps of each record, for ListOffsets by time; null when the codec is opaque to us. */
export function recordTimestamps(batch: Buffer): Array<{ offset: number; timestamp: number }> | null {
  const header = readBatchHeader(batch);
  const codec = header.attributes & 0x07;
  if (codec !== 0 && codec !== CODEC_GZIP) return null;
  const records = codec === CODEC_GZIP ? gunzipSync(batch.subarray(BATCH_HEADER_SIZE)) : batch.subarray(BATCH_HEADER_SIZE);
  const logAppendTime = (header.attributes & 0x08) !== 0;
  const out: Array<{ offset: number; timestamp: number }> = [];
  const pos = { at: 0 };
  for (let i = 0; i < header.recordCount; i++) {
    const length = readVarint(records, pos);
    const end = pos.at + length;
    pos.at += 1;
    const timestampDelta = readVarint(records, pos);
    const offsetDelta = readVarint(records, pos);
    out.push({
      offset: header.baseOffset + offsetDelta,
      timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
    });
    pos.at = end;
  }
  return out;
}
