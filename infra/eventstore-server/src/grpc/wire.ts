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
