import { gunzipSync, gzipSync } from 'node:zlib';
import { crc32c } from './crc32c';
import { BATCH_HEADER_SIZE, readBatchHeader } from './record-batch';

const CODEC_NONE = 0;
const CODEC_GZIP = 1;

/** One record of a v2 batch; key, value and the raw header section are kept as bytes. */
export interface DecodedRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Buffer;
}

function readVarlong(buf: Buffer, pos: { at: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos.at++];
    if (b === undefined) throw new RangeError('truncated varint');
    if (shift > 63) throw new RangeError('varint too long');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

function writeVarlong(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return Buffer.from(out);
}

function readNullable(buf: Buffer, pos: { at: number }): Buffer | null {
  const len = readVarlong(buf, pos);
  if (len < 0) return null;
  if (pos.at + len > buf.length) throw new RangeError('truncated record field');
  const out = buf.subarray(pos.at, pos.at + len);
  pos.at += len;
  return out;
}

/** True when the batch's records can be read here (uncompressed or gzip). */
export function recordsReadable(batch: Buffer): boolean {
  const codec = readBatchHeader(batch).attributes & 0x07;
  return codec === CODEC_NONE || codec === CODEC_GZIP;
}

/** Decodes every record of a v2 batch; null when the codec is opaque to this broker. Throws RangeError on malformed input. */
export function decodeRecords(batch: Buffer): DecodedRecord[] | null {
  const header = readBatchHeader(batch);
  const codec = header.attributes & 0x07;
  if (codec !== CODEC_NONE && codec !== CODEC_GZIP) return null;
  const body = codec === CODEC_GZIP ? gunzipSync(batch.subarray(BATCH_HEADER_SIZE)) : batch.subarray(BATCH_HEADER_SIZE);
  const out: DecodedRecord[] = [];
  const pos = { at: 0 };
  for (let i = 0; i < header.recordCount; i++) {
    const length = readVarlong(body, pos);
    const end = pos.at + length;
    if (length < 0 || end > body.length) throw new RangeError('record length exceeds batch');
    const attributes = body.readInt8(pos.at);
    pos.at += 1;
    const timestampDelta = readVarlong(body, pos);
    const offsetDelta = readVarlong(body, pos);
    const key = readNullable(body, pos);
    const value = readNullable(body, pos);
    if (pos.at > end) throw new RangeError('record fields exceed record length');
    out.push({ attributes, timestampDelta, offsetDelta, key, value, headers: body.subarray(pos.at, end) });
    pos.at = end;
  }
  return out;
}

function encodeRecord(r: DecodedRecord): Buffer {
  const field = (b: Buffer | null) => (b === null ? [writeVarlong(-1)] : [writeVarlong(b.length), b]);
  const body = Buffer.concat([Buffer.from([r.attributes & 0xff]), writeVarlong(r.timestampDelta), writeVarlong(r.offsetDelta), ...field(r.key), ...field(r.value), r.headers]);
  return Buffer.concat([writeVarlong(body.length), body]);
}

/**
 * Rebuilds a batch holding only `records`, keeping its base offset, last offset delta,
 * timestamps, producer fields and codec (as Kafka's log cleaner does), with a fresh CRC.
 */
export function rebuildBatch(original: Buffer, records: DecodedRecord[]): Buffer {
  const header = readBatchHeader(original);
  const codec = header.attributes & 0x07;
  let body = Buffer.concat(records.map(encodeRecord));
  if (codec === CODEC_GZIP) body = gzipSync(body);
  const out = Buffer.alloc(BATCH_HEADER_SIZE + body.length);
  original.copy(out, 0, 0, BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(records.length, 57);
  body.copy(out, BATCH_HEADER_SIZE);
  out.writeUInt32BE(crc32c(out, 21), 17);
  return out;
}
