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

/**
 * Rebuilds a segment's index by scanning its batches; everything after the first torn or
 * corrupt batch (a crash mid-write) is cut off so the next append starts on a clean boundary.
 */
export function recoverSegment(file: string, baseOffset: number, onBatch: (b: RecoveredBatch) => void): Segment {
  const fd = fs.openSync(file, 'r+');
  const data = fs.readFileSync(file);
  const segment = new Segment(baseOffset, file, fd);
  let position = 0;
  let expected = baseOffset;
  while (position + BATCH_HEADER_SIZE <= data.length) {
    const header = readBatchHeader(data, position);
    const size = header.batchLength + 12;
    if (header.magic !== 2 || header.batchLength < BATCH_HEADER_SIZE - 12 || position + size > data.length) break;
    if (header.baseOffset < expected || !batchCrcMatches(data, position, size)) break;
    const lastOffset = header.baseOffset + header.lastOffsetDelta;
    segment.add({ baseOffset: header.baseOffset, lastOffset, position, size, maxTimestamp: header.maxTimestamp });
    onBatch({
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      recordCount: header.recordCount,
      baseOffset: header.baseOffset,
    });
    expected = lastOffset + 1;
    position += size;
  }
  if (position < data.length) {
    fs.ftruncateSync(fd, position);
    fs.fsyncSync(fd);
  }
  return segment;
}
