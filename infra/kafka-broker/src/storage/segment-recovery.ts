import * as fs from 'node:fs';
import { BATCH_HEADER_SIZE, batchCrcMatches, readBatchHeader } from '../protocol/record-batch';
import { Segment } from './segment';

export interface RecoveredBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  baseOffset: number;
}

const CHUNK = 8 * 1024 * 1024;

/**
 * Opens a segment. A rolled segment whose index file matches it is trusted as written (it was
 * fsynced before its index); otherwise (the last segment, or no index) it is scanned batch by
 * batch in chunks, and everything after the first torn or corrupt batch is cut off, so the next
 * append starts on a clean boundary. `onBatch` sees every batch either way (producer state).
 */
export function recoverSegment(file: string, baseOffset: number, onBatch: (b: RecoveredBatch) => void, trustIndex = false): Segment {
  const fd = fs.openSync(file, 'r+');
  const fileSize = fs.fstatSync(fd).size;
  const segment = new Segment(baseOffset, file, fd);
  if (trustIndex && segment.loadIndex(fileSize)) {
    // Only idempotent batches carry producer state; plain ones (producer id -1) are skipped without decoding.
    for (let i = 0; i < segment.count; i++) if (segment.producerIdAt(i) >= 0) onBatch({ ...segment.producerAt(i), baseOffset: segment.baseOffsetAt(i) });
    return segment;
  }
  let position = 0;
  let expected = baseOffset;
  let chunk = Buffer.alloc(0);
  let chunkStart = 0;
  const bytesAt = (pos: number, length: number): Buffer | null => {
    if (pos + length > fileSize) return null;
    if (pos < chunkStart || pos + length > chunkStart + chunk.length) {
      chunk = Buffer.allocUnsafe(Math.min(Math.max(CHUNK, length), fileSize - pos));
      let read = 0;
      while (read < chunk.length) {
        const n = fs.readSync(fd, chunk, read, chunk.length - read, pos + read);
        if (n === 0) break;
        read += n;
      }
      chunkStart = pos;
    }
    return chunk.subarray(pos - chunkStart, pos - chunkStart + length);
  };
  for (;;) {
    const head = bytesAt(position, BATCH_HEADER_SIZE);
    if (!head) break;
    const header = readBatchHeader(head);
    const size = header.batchLength + 12;
    if (header.magic !== 2 || header.batchLength < BATCH_HEADER_SIZE - 12) break;
    const batch = bytesAt(position, size);
    if (!batch) break;
    if (header.baseOffset < expected || !batchCrcMatches(batch)) break;
    const lastOffset = header.baseOffset + header.lastOffsetDelta;
    const producer = { producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence, recordCount: header.recordCount };
    segment.add({ baseOffset: header.baseOffset, lastOffset, position, size, maxTimestamp: header.maxTimestamp }, producer);
    onBatch({ ...producer, baseOffset: header.baseOffset });
    expected = lastOffset + 1;
    position += size;
  }
  if (position < fileSize) {
    fs.ftruncateSync(fd, position);
    fs.fsyncSync(fd);
  }
  return segment;
}
