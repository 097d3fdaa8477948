import { crc32 } from './crc32';
import type { EventRecord } from './event-record';

// Frame: u32 payload length | u32 CRC-32 of payload | payload.
// Payload: u8 flags | f64 revision | f64 createdMs | u16 stream | u8 id | u16 type | u32 data | u32 metadata,
// each variable field as its length followed by its bytes.
export const FRAME_HEADER = 8;
const FIXED = 1 + 8 + 8 + 2 + 1 + 2 + 4 + 4;

const FLAG_JSON = 1;
const FLAG_TOMBSTONE = 2;
/** Set on the last record of one write; records after the last such flag were never acknowledged. */
const FLAG_COMMIT_END = 4;

export const MAX_NAME_BYTES = 0xffff;

export function encodeRecord(record: EventRecord, commitEnd: boolean): Buffer {
  const stream = Buffer.from(record.stream, 'utf8');
  const id = Buffer.from(record.id, 'latin1');
  const type = Buffer.from(record.type, 'utf8');
  const payloadLength = FIXED + stream.length + id.length + type.length + record.data.length + record.metadata.length;
  const buf = Buffer.allocUnsafe(FRAME_HEADER + payloadLength);
  buf.writeUInt32LE(payloadLength, 0);
  let o = FRAME_HEADER;
  const flags = (record.isJson ? FLAG_JSON : 0) | (record.tombstone ? FLAG_TOMBSTONE : 0) | (commitEnd ? FLAG_COMMIT_END : 0);
  o = buf.writeUInt8(flags, o);
  o = buf.writeDoubleLE(record.revision, o);
  o = buf.writeDoubleLE(record.createdMs, o);
  o = buf.writeUInt16LE(stream.length, o);
  o += stream.copy(buf, o);
  o = buf.writeUInt8(id.length, o);
  o += id.copy(buf, o);
  o = buf.writeUInt16LE(type.length, o);
  o += type.copy(buf, o);
  o = buf.writeUInt32LE(record.data.length, o);
  buf.set(record.data, o);
  o += record.data.length;
  o = buf.writeUInt32LE(record.metadata.length, o);
  buf.set(record.metadata, o);
  buf.writeUInt32LE(crc32(buf, FRAME_HEADER, buf.length), 4);
  return buf;
}

export type DecodeResult =
  | { readonly ok: true; readonly record: EventRecord; readonly commitEnd: boolean; readonly next: number }
  | { readonly ok: false; readonly reason: string };

/** Decodes the frame at `offset`; any inconsistency is reported, never thrown. */
export function decodeRecord(buf: Buffer, offset: number, position: number): DecodeResult {
  if (buf.length - offset < FRAME_HEADER) return { ok: false, reason: 'short header' };
  const length = buf.readUInt32LE(offset);
  const end = offset + FRAME_HEADER + length;
  if (length < FIXED || end > buf.length) return { ok: false, reason: 'short record' };
  if (crc32(buf, offset + FRAME_HEADER, end) !== buf.readUInt32LE(offset + 4)) return { ok: false, reason: 'checksum' };
  try {
    let o = offset + FRAME_HEADER;
    const flags = buf.readUInt8(o);
    o += 1;
    const revision = buf.readDoubleLE(o);
    o += 8;
    const createdMs = buf.readDoubleLE(o);
    o += 8;
    const field = (size: number): Buffer => {
      const n = size === 1 ? buf.readUInt8(o) : size === 2 ? buf.readUInt16LE(o) : buf.readUInt32LE(o);
      o += size;
      if (o + n > end) throw new RangeError('field overflows record');
      const slice = buf.subarray(o, o + n);
      o += n;
      return slice;
    };
    const stream = field(2).toString('utf8');
    const id = field(1).toString('latin1');
    const type = field(2).toString('utf8');
    const data = field(4);
    const metadata = field(4);
    if (o !== end) return { ok: false, reason: 'trailing bytes' };
    const record: EventRecord = {
      position,
      stream,
      revision,
      tombstone: (flags & FLAG_TOMBSTONE) !== 0,
      id,
      type,
      isJson: (flags & FLAG_JSON) !== 0,
      createdMs,
      data,
      metadata,
    };
    return { ok: true, record, commitEnd: (flags & FLAG_COMMIT_END) !== 0, next: end };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
