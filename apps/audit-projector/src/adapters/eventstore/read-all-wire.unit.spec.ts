import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
// The official client's own mapping of a ReadResp event, which the raw decoder must reproduce.
import { convertGrpcEvent } from '@eventstore/db-client/dist/utils/convertGrpcEvent';
import { categoryEventOf } from '@kairos/event-store';
import { decodeReadResp, readAllRequest } from './read-all-wire';

interface RecordSpec {
  stream?: string;
  id?: string | { most: string; least: string };
  revision?: string;
  prepare?: string;
  commit?: string;
  metadata?: Record<string, string>;
  custom?: Uint8Array | string;
  data?: Uint8Array | string;
}

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

function recorded(spec: RecordSpec): ReadResp.ReadEvent.RecordedEvent {
  const message = new ReadResp.ReadEvent.RecordedEvent();
  if (spec.stream !== undefined) message.setStreamIdentifier(new StreamIdentifier().setStreamName(utf8(spec.stream)));
  if (typeof spec.id === 'string') message.setId(new UUID().setString(spec.id));
  else if (spec.id) message.setId(new UUID().setStructured(new UUID.Structured().setMostSignificantBits(spec.id.most).setLeastSignificantBits(spec.id.least)));
  if (spec.revision) message.setStreamRevision(spec.revision);
  if (spec.prepare) message.setPreparePosition(spec.prepare);
  if (spec.commit) message.setCommitPosition(spec.commit);
  for (const [k, v] of Object.entries(spec.metadata ?? {})) message.getMetadataMap().set(k, v);
  if (spec.custom !== undefined) message.setCustomMetadata(typeof spec.custom === 'string' ? utf8(spec.custom) : spec.custom);
  if (spec.data !== undefined) message.setData(typeof spec.data === 'string' ? utf8(spec.data) : spec.data);
  return message;
}

const json = { type: 'AccessRequested', 'content-type': 'application/json', created: '17330000000000000' };
const base: RecordSpec = {
  stream: 'access-request-5f1c2d3e-1111-4222-8333-944445555666',
  id: 'c0ffee00-1234-4abc-8def-0123456789ab',
  revision: '3',
  prepare: '1200',
  commit: '1200',
  metadata: json,
  custom: '{"schemaVersion":2,"correlationId":"x"}',
  data: '{"requestId":"r-1","nested":{"b":[1,2,{"c":null}],"a":"\\u00e9\\ud83d\\ude00"},"n":1e400}',
};

const cases: [string, RecordSpec][] = [
  ['a JSON event of a request stream with JSON metadata', base],
  ['no custom metadata', { ...base, custom: undefined }],
  ['custom metadata that is not JSON (kept as its bytes)', { ...base, custom: new Uint8Array([0xff, 0x00, 0x7b]) }],
  ['JSON data that does not parse (kept as its text)', { ...base, data: '{"requestId": ' }],
  ['no data at all', { ...base, data: undefined }],
  ['a binary event of a request stream (not kept)', { ...base, metadata: { ...json, 'content-type': 'application/octet-stream' } }],
  ['no content type (binary, not kept)', { ...base, metadata: { type: 'X', created: json.created } }],
  ['an event of another stream (not kept)', { ...base, stream: '$settings' }],
  ['a structured UUID (two negative 64-bit halves)', { ...base, id: { most: '-4539648215293343044', least: '-8219349543927969365' } }],
  ['no type', { ...base, metadata: { 'content-type': 'application/json', created: json.created } }],
  ['no created', { ...base, metadata: { type: 'T', 'content-type': 'application/json' } }],
  ['a created that is not a number', { ...base, metadata: { ...json, created: 'soon' } }],
  ['positions and revision past 2^53 and near 2^64', { ...base, revision: '18446744073709551614', prepare: '9007199254740993', commit: '18446744073709551615' }],
  ['zero positions (fields absent on the wire)', { ...base, revision: undefined, prepare: undefined, commit: undefined }],
  ['extra metadata keys', { ...base, metadata: { ...json, 'x-extra': 'y', '': '' } }],
];

const keep = (streamId: string) => streamId.startsWith('access-request-');

function viaOfficialClient(bytes: Uint8Array) {
  const resp = ReadResp.deserializeBinary(bytes);
  if (!resp.hasEvent()) return undefined;
  const resolved = convertGrpcEvent(resp.getEvent()!);
  const event = categoryEventOf(resolved);
  return { position: resolved.event?.position, event: event && keep(event.streamId) ? event : undefined };
}

describe('the raw $all read decoder', () => {
  it.each(cases)('decodes %s exactly as the official client and categoryEventOf', (_, spec) => {
    const bytes = new ReadResp().setEvent(new ReadResp.ReadEvent().setEvent(recorded(spec)).setCommitPosition(spec.commit ?? '0')).serializeBinary();
    const expected = viaOfficialClient(bytes);
    expect(expected).toBeDefined();
    expect(decodeReadResp(Buffer.from(bytes), keep)).toEqual(expected);
  });

  it('keeps the event of a resolved link, not the link', () => {
    const link = recorded({ ...base, stream: '$ce-access', data: '0@access-request-x', metadata: { ...json, type: '$>' } });
    const bytes = new ReadResp().setEvent(new ReadResp.ReadEvent().setEvent(recorded(base)).setLink(link).setNoPosition(new Empty())).serializeBinary();
    const decoded = decodeReadResp(Buffer.from(bytes), keep);
    expect(decoded).toEqual(viaOfficialClient(bytes));
    expect(decoded?.event?.type).toBe('AccessRequested');
  });

  it('gives a link whose event is gone with neither position nor event, as the official client gives no event', () => {
    const bytes = new ReadResp().setEvent(new ReadResp.ReadEvent().setLink(recorded(base))).serializeBinary();
    expect(viaOfficialClient(bytes)).toEqual({ position: undefined, event: undefined });
    expect(decodeReadResp(Buffer.from(bytes), keep)).toEqual({ position: undefined, event: undefined });
  });

  it('yields nothing for the answers that carry no event', () => {
    for (const resp of [
      new ReadResp().setCaughtUp(new ReadResp.CaughtUp()),
      new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId('s')),
      new ReadResp().setCheckpoint(new ReadResp.Checkpoint().setCommitPosition('5').setPreparePosition('5')),
      new ReadResp().setLastStreamPosition('12'),
    ])
      expect(decodeReadResp(Buffer.from(resp.serializeBinary()), keep)).toBeUndefined();
  });

  it('refuses a truncated answer instead of decoding part of it', () => {
    const bytes = Buffer.from(new ReadResp().setEvent(new ReadResp.ReadEvent().setEvent(recorded(base))).serializeBinary());
    for (const cut of [1, 5, 20, bytes.length - 1]) expect(() => decodeReadResp(bytes.subarray(0, cut), keep)).toThrow(/truncated/);
  });

  it('refuses a recorded event without a stream identifier', () => {
    const bytes = new ReadResp().setEvent(new ReadResp.ReadEvent().setEvent(recorded({ ...base, stream: undefined }))).serializeBinary();
    expect(() => decodeReadResp(Buffer.from(bytes), keep)).toThrow(/stream identifier/);
  });

  it('asks for what client.readAll asks for: $all forwards from a position, links unresolved, no filter, string UUIDs', () => {
    const options = readAllRequest({ commit: 42n, prepare: 41n }, 100).getOptions()!;
    expect(options.getAll()?.getPosition()?.getCommitPosition()).toBe('42');
    expect(options.getAll()?.getPosition()?.getPreparePosition()).toBe('41');
    expect(options.getCount()).toBe('100');
    expect(options.getResolveLinks()).toBe(false);
    expect(options.getReadDirection()).toBe(ReadReq.Options.ReadDirection.FORWARDS);
    expect(options.hasNoFilter()).toBe(true);
    expect(options.getUuidOption()?.hasString()).toBe(true);
    expect(readAllRequest(null, 5).getOptions()?.getAll()?.hasStart()).toBe(true);
  });
});
