import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { recordBatch } from '../../test/raw-client';
import { crc32c } from '../protocol/crc32c';
import { readBatchHeader } from '../protocol/record-batch';
import { PartitionLog } from './partition-log';

const append = (log: PartitionLog, values: Array<string | null>, timestamp?: number, keys?: Array<string | null>) => {
  const batch = recordBatch({ values, timestamp, keys });
  return log.append(batch, readBatchHeader(batch));
};

describe('a partition log on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-broker-log-'));
  });

  it('cuts a torn tail on reopen and continues the offsets', async () => {
    const log = PartitionLog.open(dir, { segmentBytes: 1 << 20 }, () => undefined);
    await append(log, ['a', 'b']).durable;
    await append(log, ['c']).durable;
    log.close();
    const [segment] = fs.readdirSync(dir);
    const file = path.join(dir, segment);
    const intact = fs.statSync(file).size;
    const halfBatch = recordBatch({ values: ['torn'] }).subarray(0, 30);
    fs.appendFileSync(file, halfBatch);

    const reopened = PartitionLog.open(dir, { segmentBytes: 1 << 20 }, () => undefined);
    expect(fs.statSync(file).size).toBe(intact);
    expect(reopened.logEndOffset).toBe(3);
    const next = append(reopened, ['d']);
    await next.durable;
    expect(next.baseOffset).toBe(3);
    reopened.close();
  });

  it('drops a batch whose CRC no longer matches, and everything after it', async () => {
    const log = PartitionLog.open(dir, { segmentBytes: 1 << 20 }, () => undefined);
    await append(log, ['a']).durable;
    await append(log, ['b']).durable;
    log.close();
    const file = path.join(dir, fs.readdirSync(dir)[0]);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const reopened = PartitionLog.open(dir, { segmentBytes: 1 << 20 }, () => undefined);
    expect(reopened.logEndOffset).toBe(1);
    reopened.close();
  });

  it('rolls segments and deletes the oldest beyond the size limit', async () => {
    const log = PartitionLog.open(dir, { segmentBytes: 200, retentionBytes: 400 }, () => undefined);
    for (let i = 0; i < 20; i++) await append(log, [`message-${i}-`.padEnd(100, 'x')]).durable;
    log.applyRetention(Date.now());
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.sizeInBytes()).toBeLessThanOrEqual(600);
    expect(log.read(log.logStartOffset, 1 << 20)).not.toBeNull();
    log.close();
  });

  it('deletes segments older than the age limit', async () => {
    const log = PartitionLog.open(dir, { segmentBytes: 1 << 20, retentionMs: 60_000 }, () => undefined);
    const old = Date.now() - 120_000;
    await append(log, ['old'], old).durable;
    await append(log, ['older'], old).durable;
    log.applyRetention(Date.now());
    log.applyRetention(Date.now());
    expect(log.logStartOffset).toBe(2);
    const next = append(log, ['new']);
    await next.durable;
    expect(next.baseOffset).toBe(2);
    log.close();
  });

  it('compacts rolled segments on disk, reopens with the offset gaps, and keeps tombstones younger than delete.retention.ms', async () => {
    const config = { segmentBytes: 120, compact: true, delete: false, deleteRetentionMs: 60_000 };
    const log = PartitionLog.open(dir, config, () => undefined);
    const writes: Array<[string, string | null]> = [
      ['a', '1'],
      ['b', '1'],
      ['a', '2'],
      ['b', null],
      ['c', '1'],
      ['z', 'active'],
    ];
    for (const [key, value] of writes) await append(log, [value], undefined, [key]).durable;
    log.applyRetention(Date.now());
    const sizeAfter = log.sizeInBytes();
    log.close();

    const reopened = PartitionLog.open(dir, config, () => undefined);
    expect(reopened.logEndOffset).toBe(6);
    expect(reopened.sizeInBytes()).toBe(sizeAfter);
    const offsets: number[] = [];
    for (let at = 0; at < 6; ) {
      const bytes = reopened.read(at, 1 << 20);
      if (!bytes) break;
      const first = readBatchHeader(bytes);
      offsets.push(first.baseOffset);
      at = first.baseOffset + first.lastOffsetDelta + 1;
    }
    // a@0 and b@1 are superseded; the tombstone b@3 is recent, so it stays; z@5 is in the active segment.
    expect(offsets).toEqual([2, 3, 4, 5]);
    // Appends continue after the gaps.
    const next = append(reopened, ['d'], undefined, ['d']);
    await next.durable;
    expect(next.baseOffset).toBe(6);
    reopened.close();
  });

  it('drops a tombstone once it is older than delete.retention.ms', async () => {
    const log = PartitionLog.open(dir, { segmentBytes: 120, compact: true, delete: false, deleteRetentionMs: 1_000 }, () => undefined);
    const old = Date.now() - 10_000;
    await append(log, ['1'], old, ['k']).durable;
    await append(log, [null], old, ['k']).durable;
    await append(log, ['x'], undefined, ['other']).durable;
    log.applyRetention(Date.now());
    expect(log.read(0, 1 << 20)?.length ? readBatchHeader(log.read(0, 1 << 20) as Buffer).baseOffset : -1).toBe(2);
    log.close();
  });

  it('moves the log start with DeleteRecords durably and drops the segments below it', async () => {
    const log = PartitionLog.open(dir, { segmentBytes: 100 }, () => undefined);
    for (let i = 0; i < 6; i++) await append(log, [`v${i}`.padEnd(40, '.')]).durable;
    expect(log.deleteRecordsBefore(4)).toBe(4);
    log.close();
    const reopened = PartitionLog.open(dir, { segmentBytes: 100 }, () => undefined);
    expect(reopened.logStartOffset).toBe(4);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.log')).every((f) => Number(f.slice(0, 20)) >= 3)).toBe(true);
    reopened.close();
  });

  it('reopens rolled segments from their index files, with the same reads and idempotent-producer state', async () => {
    const log = PartitionLog.open(dir, { segmentBytes: 300 }, () => undefined);
    for (let seq = 0; seq < 12; seq++) {
      const batch = recordBatch({ values: [`p-${seq}`.padEnd(60, '.')], producerId: 77, epoch: 0, baseSequence: seq });
      await log.append(batch, readBatchHeader(batch)).durable;
    }
    const before = log.read(0, 1 << 20);
    log.close();
    const files = fs.readdirSync(dir);
    const logs = files.filter((f) => f.endsWith('.log'));
    expect(logs.length).toBeGreaterThan(2);
    // Every rolled segment has its index; the active one does not.
    expect(files.filter((f) => f.endsWith('.index')).sort()).toEqual(logs.slice(0, -1).map((f) => f.replace('.log', '.index')).sort());

    const reopened = PartitionLog.open(dir, { segmentBytes: 300 }, () => undefined);
    expect(reopened.logEndOffset).toBe(12);
    expect(reopened.read(0, 1 << 20)).toEqual(before);
    // A retry of sequence 11 (before the restart) is recognised from the index and the scan.
    expect(reopened.producers.check(77, 0, 11, 1)).toEqual({ kind: 'duplicate', baseOffset: 11 });
    expect(reopened.producers.check(77, 0, 12, 1)).toEqual({ kind: 'append' });
    reopened.close();
  });

  it('ignores an index that no longer matches its segment and scans that segment instead', async () => {
    const log = PartitionLog.open(dir, { segmentBytes: 300 }, () => undefined);
    for (let i = 0; i < 12; i++) await append(log, [`v-${i}`.padEnd(60, '.')]).durable;
    log.close();
    const [first] = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    const file = path.join(dir, first);
    const intact = fs.statSync(file).size;
    // The file lost its tail after the index was written: the index (which records the size) must not be believed.
    fs.truncateSync(file, intact - 10);
    const reopened = PartitionLog.open(dir, { segmentBytes: 300 }, () => undefined);
    const batchSize = readBatchHeader(reopened.read(0, 1 << 20) as Buffer).batchLength + 12;
    // The scan cut the torn batch off at a batch boundary.
    expect(fs.statSync(file).size).toBe(intact - batchSize);
    expect(readBatchHeader(reopened.read(0, 1 << 20) as Buffer).baseOffset).toBe(0);
    reopened.close();
  });

  it('keeps a batch whose records do not parse whole when compacting, instead of stalling the cleaner', async () => {
    const log = PartitionLog.open(dir, { segmentBytes: 120, compact: true, delete: false }, () => undefined);
    await append(log, ['1'], undefined, ['k']).durable;
    // A CRC-valid batch whose record bytes are garbage (a client bug written before compaction was switched on).
    const garbage = recordBatch({ values: ['x'.repeat(20)], keys: ['k'] });
    garbage.fill(0xff, 61 + 1, 61 + 6);
    garbage.writeUInt32BE(crc32c(garbage, 21), 17);
    await log.append(garbage, readBatchHeader(garbage)).durable;
    await append(log, ['2'], undefined, ['k']).durable;
    await append(log, ['tail'], undefined, ['z']).durable;
    expect(() => log.applyRetention(Date.now())).not.toThrow();
    const offsets: number[] = [];
    for (let at = 0; at < 4; ) {
      const bytes = log.read(at, 1 << 20);
      if (!bytes) break;
      const h = readBatchHeader(bytes);
      offsets.push(h.baseOffset);
      at = h.baseOffset + h.lastOffsetDelta + 1;
    }
    // k@0 is superseded by k@2; the unreadable batch at 1 stays; z@3 is active.
    expect(offsets).toEqual([1, 2, 3]);
    log.close();
  });
});
