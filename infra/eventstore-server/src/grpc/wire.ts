import { AllStreamPosition, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { MAX_NAME_BYTES } from '../storage/record-codec';
import { wireRevision, type EventRecord, type NewEvent } from '../storage/event-record';
import type { ExpectedRevision } from '../storage/expected-revision';
import { invalidArgument, missingRequiredMetadata } from './protocol-error';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const U64_PATTERN = /^\d{1,20}$/;
const U64_MAX = 2n ** 64n - 1n;
const TICKS_PER_MS = 10_000n;

export function streamName(identifier: StreamIdentifier | undefined): string {
  const bytes = identifier?.getStreamName_asU8();
  if (!bytes || bytes.length === 0) throw invalidArgument('stream name is required');
  if (bytes.length > MAX_NAME_BYTES) throw invalidArgument('stream name is too long');
  return Buffer.from(bytes).toString('utf8');
}

export function streamIdentifier(name: string): StreamIdentifier {
  return new StreamIdentifier().setStreamName(Buffer.from(name, 'utf8'));
}

export function parseU64(text: string, what: string): bigint {
  if (!U64_PATTERN.test(text)) throw invalidArgument(`${what} is not an unsigned 64-bit integer`);
  const value = BigInt(text);
  if (value > U64_MAX) throw invalidArgument(`${what} is out of range`);
  return value;
}

export function uuidString(uuid: UUID | undefined, what: string): string {
  if (!uuid) throw invalidArgument(`${what} is required`);
  let text: string;
  if (uuid.hasStructured()) {
    const s = uuid.getStructured()!;
    const hex = (v: string): string => BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0');
    const h = hex(s.getMostSignificantBits()) + hex(s.getLeastSignificantBits());
    text = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  } else {
    text = uuid.getString();
  }
  if (!UUID_PATTERN.test(text)) throw invalidArgument(`${what} is not a UUID`);
  return text.toLowerCase();
}

export function uuid(text: string): UUID {
  return new UUID().setString(text);
}

interface ProposedMessage {
  getId(): UUID | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}

export function proposedEvent(message: ProposedMessage): NewEvent {
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  if (!type || contentType === undefined) throw missingRequiredMetadata();
  if (Buffer.byteLength(type, 'utf8') > MAX_NAME_BYTES) throw invalidArgument('event type is too long');
  return {
    id: uuidString(message.getId(), 'event id'),
    type,
    isJson: contentType === 'application/json',
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

/** EventStoreDB counts data, custom metadata and twice the type towards the append size. */
export function appendSize(event: NewEvent): number {
  return event.data.length + event.metadata.length + 2 * event.type.length;
}

export interface ExpectedOptions {
  hasRevision?(): boolean;
  getRevision?(): string;
  hasNoStream(): boolean;
  hasAny(): boolean;
  hasStreamExists(): boolean;
}

export function expectedRevision(options: ExpectedOptions, revision: string | undefined): ExpectedRevision {
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasAny()) return { kind: 'any' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  if (revision !== undefined) return { kind: 'revision', revision: parseU64(revision, 'expected revision') };
  throw invalidArgument('expected revision is required');
}

export function allStreamPosition(position: number): AllStreamPosition {
  return new AllStreamPosition().setCommitPosition(String(position)).setPreparePosition(String(position));
}

export function recordedEvent(record: EventRecord): ReadResp.ReadEvent.RecordedEvent {
  const message = new ReadResp.ReadEvent.RecordedEvent()
    .setId(uuid(record.id))
    .setStreamIdentifier(streamIdentifier(record.stream))
    .setStreamRevision(wireRevision(record))
    .setCommitPosition(String(record.position))
    .setPreparePosition(String(record.position))
    .setData(record.data)
    .setCustomMetadata(record.metadata);
  const map = message.getMetadataMap();
  map.set('type', record.type);
  map.set('content-type', record.isJson ? 'application/json' : 'application/octet-stream');
  map.set('created', (BigInt(Math.trunc(record.createdMs)) * TICKS_PER_MS).toString());
  return message;
}

export function eventResponse(record: EventRecord, resolved: EventRecord | null | undefined): ReadResp {
  const event = new ReadResp.ReadEvent().setCommitPosition(String(record.position));
  if (resolved === undefined) event.setEvent(recordedEvent(record));
  else {
    event.setLink(recordedEvent(record));
    if (resolved) event.setEvent(recordedEvent(resolved));
  }
  return new ReadResp().setEvent(event);
}

/**
 * `eventResponse(record, resolved).serializeBinary()` written straight into one buffer, byte for
 * byte the same (wire.unit.spec.ts compares them): building the google-protobuf objects and their map
 * for every event was most of the server's CPU on a long read of `$all`. The Streams service sends
 * these bytes as they are (see `streamsServiceDefinition`).
 */
export function encodeEventResponse(record: EventRecord, resolved: EventRecord | null | undefined): Buffer {
  const first = resolved === undefined ? record : resolved;
  const link = resolved === undefined ? null : record;
  const event = first && encodedRecorded(first);
  const linked = link && encodedRecorded(link);
  const position = String(record.position);
  // ReadEvent: event (1), link (2), commit_position (3).
  let readEventSize = 1 + uint64Size(position);
  if (event) readEventSize += 1 + varintSize(event.size) + event.size;
  if (linked) readEventSize += 1 + varintSize(linked.size) + linked.size;
  const out = new ProtoWriter(1 + varintSize(readEventSize) + readEventSize);
  out.tag(1, 2).varint(readEventSize);
  if (event) writeRecorded(out.tag(1, 2), event);
  if (linked) writeRecorded(out.tag(2, 2), linked);
  out.tag(3, 0).uint64(position);
  return out.done();
}

interface EncodedRecorded {
  readonly size: number;
  readonly id: Buffer;
  readonly stream: Buffer;
  readonly revision: string;
  readonly position: string;
  /** Map entries in key order (google-protobuf sorts them): content-type, created, type. */
  readonly entries: readonly (readonly [Buffer, Buffer])[];
  readonly metadata: Uint8Array;
  readonly data: Uint8Array;
}

const CONTENT_TYPE = Buffer.from('content-type');
const CREATED = Buffer.from('created');
const TYPE = Buffer.from('type');
const JSON_CONTENT = Buffer.from('application/json');
const BINARY_CONTENT = Buffer.from('application/octet-stream');

function createdTicks(createdMs: number): string {
  const ms = Math.trunc(createdMs);
  if (ms === 0) return '0';
  return Number.isSafeInteger(ms) ? `${ms}0000` : (BigInt(ms) * TICKS_PER_MS).toString();
}

const lengthDelimitedSize = (n: number): number => 1 + varintSize(n) + n;

function encodedRecorded(record: EventRecord): EncodedRecorded {
  const id = Buffer.from(record.id, 'utf8');
  const stream = Buffer.from(record.stream, 'utf8');
  const revision = wireRevision(record);
  const position = String(record.position);
  const entries: [Buffer, Buffer][] = [
    [CONTENT_TYPE, record.isJson ? JSON_CONTENT : BINARY_CONTENT],
    [CREATED, Buffer.from(createdTicks(record.createdMs))],
    [TYPE, Buffer.from(record.type, 'utf8')],
  ];
  let size = lengthDelimitedSize(lengthDelimitedSize(id.length)); // id: UUID { string (2) }
  size += lengthDelimitedSize(stream.length > 0 ? lengthDelimitedSize(stream.length) : 0);
  if (revision !== '0') size += 1 + uint64Size(revision);
  if (position !== '0') size += 2 * (1 + uint64Size(position));
  for (const [k, v] of entries) size += lengthDelimitedSize(lengthDelimitedSize(k.length) + lengthDelimitedSize(v.length));
  if (record.metadata.length > 0) size += lengthDelimitedSize(record.metadata.length);
  if (record.data.length > 0) size += lengthDelimitedSize(record.data.length);
  return { size, id, stream, revision, position, entries, metadata: record.metadata, data: record.data };
}

function writeRecorded(out: ProtoWriter, r: EncodedRecorded): void {
  out.varint(r.size);
  out.tag(1, 2).varint(lengthDelimitedSize(r.id.length)).tag(2, 2).bytes(r.id);
  out.tag(2, 2);
  if (r.stream.length > 0) out.varint(lengthDelimitedSize(r.stream.length)).tag(3, 2).bytes(r.stream);
  else out.varint(0);
  if (r.revision !== '0') out.tag(3, 0).uint64(r.revision);
  if (r.position !== '0') out.tag(4, 0).uint64(r.position).tag(5, 0).uint64(r.position);
  for (const [k, v] of r.entries) out.tag(6, 2).varint(lengthDelimitedSize(k.length) + lengthDelimitedSize(v.length)).tag(1, 2).bytes(k).tag(2, 2).bytes(v);
  if (r.metadata.length > 0) out.tag(7, 2).bytes(r.metadata);
  if (r.data.length > 0) out.tag(8, 2).bytes(r.data);
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Size of an unsigned 64-bit varint given as decimal text. */
function uint64Size(text: string): number {
  const n = Number(text);
  if (Number.isSafeInteger(n)) return varintSize(n);
  let v = BigInt(text);
  let size = 1;
  while (v >= 128n) {
    v >>= 7n;
    size++;
  }
  return size;
}

/** Writes protobuf into a buffer of a size known in advance. */
class ProtoWriter {
  private readonly buf: Buffer;
  private pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  varint(n: number): this {
    while (n >= 128) {
      this.buf[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
    return this;
  }

  uint64(text: string): this {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return this.varint(n);
    let v = BigInt(text);
    while (v >= 128n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  bytes(bytes: Uint8Array): this {
    this.varint(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  done(): Buffer {
    if (this.pos !== this.buf.length) throw new Error(`ReadResp encoding wrote ${this.pos} of ${this.buf.length} bytes`);
    return this.buf;
  }
}
