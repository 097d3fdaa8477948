import type { EventRecord } from '../src/storage/event-record';
import { encodeEventResponse, eventResponse } from '../src/grpc/wire';

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

const base: EventRecord = {
  position: 4096,
  stream: 'access-request-5f1c2d3e',
  revision: 7,
  tombstone: false,
  id: 'c0ffee00-1234-4abc-8def-0123456789ab',
  type: 'AccessRequested',
  isJson: true,
  createdMs: 1_764_580_000_123.9,
  data: utf8('{"requestId":"r-1","é":"😀"}'),
  metadata: utf8('{"schemaVersion":1}'),
};

const records: [string, EventRecord][] = [
  ['a JSON event', base],
  ['a binary event', { ...base, isJson: false, data: new Uint8Array([0, 1, 2, 255]) }],
  ['no data and no metadata', { ...base, data: new Uint8Array(), metadata: new Uint8Array() }],
  ['revision 0', { ...base, revision: 0 }],
  ['a tombstone (revision 2^63 - 1)', { ...base, tombstone: true, type: '$streamDeleted' }],
  ['a position past 2^32 and one past 2^53', { ...base, position: 2 ** 40 + 3, revision: 2 ** 53 - 1 }],
  ['created at the epoch, before it, and far ahead', { ...base, createdMs: 0 }],
  ['created before the epoch', { ...base, createdMs: -1_000.5 }],
  ['created far ahead', { ...base, createdMs: 8.64e15 }],
  ['a long stream name, type and data (multi-byte lengths)', { ...base, stream: `s-${'x'.repeat(300)}`, type: 'T'.repeat(200), data: new Uint8Array(70_000).fill(65) }],
  ['an empty stream name and type', { ...base, stream: '', type: '' }],
];

describe('the hand-written ReadResp encoding', () => {
  it.each(records)('writes %s byte for byte as google-protobuf does', (_, record) => {
    expect(encodeEventResponse(record, undefined).equals(Buffer.from(eventResponse(record, undefined).serializeBinary()))).toBe(true);
  });

  it('writes a resolved link and a link whose event is gone as google-protobuf does', () => {
    const link = { ...base, stream: '$ce-access', type: '$>', isJson: false, data: utf8('7@access-request-5f1c2d3e'), position: 9000 };
    for (const resolved of [base, null])
      expect(encodeEventResponse(link, resolved).equals(Buffer.from(eventResponse(link, resolved).serializeBinary()))).toBe(true);
  });
});
