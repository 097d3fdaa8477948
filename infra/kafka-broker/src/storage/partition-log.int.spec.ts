import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { recordBatch } from '../../test/raw-client';
import { readBatchHeader } from '../protocol/record-batch';
import { PartitionLog } from './partition-log';

const append = (log: PartitionLog, values: string[], timestamp?: number) => {
  const batch = recordBatch({ values, timestamp });
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
});
