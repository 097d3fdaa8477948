import { makeGenericClientConstructor, type CallOptions, type ClientReadableStream, type Metadata } from '@grpc/grpc-js';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { ReadReq } from '@eventstore/db-client/generated/streams_pb';
import type { CategoryEvent, LogPosition } from '@kairos/event-store';

/**
 * A read of `$all` that decodes the answers itself (ADR 0034). `client.readAll` decodes every
 * `ReadResp` into google-protobuf objects, then into a ResolvedEvent through an object-mode stream,
 * parsing the data and metadata of every event, whatever stream it belongs to: two thirds of a
 * replay's CPU. Here each answer is decoded straight from its bytes, and the JSON of an event is
 * parsed only when the caller keeps it. What comes out is exactly what `categoryEventOf(resolved)`
 * gives for the same answer (read-all-wire.unit.spec.ts compares the two on every field).
 *
 * The call goes over the client's own channel, connection settings and credentials
 * (`EventStoreDBClient.execute` and `callArguments`, the methods its own `readAll` uses).
 */

/** One answer of a read that carried an event. */
export interface WireRecord {
  /** The event's place in the log; undefined for a link whose event is gone (only when links are resolved). */
  readonly position: LogPosition | undefined;
  /** The event as `categoryEventOf` maps it, if `keep` wanted it (a JSON event of a kept stream). */
  readonly event: CategoryEvent | undefined;
}

/** The methods of the client this read borrows (protected in its typings, public at run time). */
interface ClientInternals {
  execute<C, T>(Client: new (...args: never[]) => C, debugName: string, action: (client: C) => Promise<T>): Promise<T>;
  callArguments(options: object, callOptions?: CallOptions): [Metadata, CallOptions];
}

interface RawStreamsClient {
  read(request: ReadReq, metadata: Metadata, options: CallOptions): ClientReadableStream<Buffer>;
}

const identity = (value: Buffer): Buffer => value;

/** The Streams service with only `Read`, whose answers arrive as their bytes. */
const RawStreams = makeGenericClientConstructor(
  {
    read: {
      path: '/event_store.client.streams.Streams/Read',
      requestStream: false,
      responseStream: true,
      requestSerialize: (request: ReadReq) => Buffer.from(request.serializeBinary()),
      requestDeserialize: (bytes: Buffer) => ReadReq.deserializeBinary(bytes),
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  'Streams',
) as unknown as new (...args: never[]) => RawStreamsClient;

function internals(client: EventStoreDBClient): ClientInternals {
  const c = client as unknown as Partial<ClientInternals>;
  if (typeof c.execute !== 'function' || typeof c.callArguments !== 'function')
    throw new Error('@eventstore/db-client no longer has execute/callArguments: the raw $all read (read-all-wire.ts) needs porting to this version');
  return c as ClientInternals;
}

/** The request `client.readAll({ fromPosition, maxCount, direction: FORWARDS, resolveLinkTos: false })` sends. */
export function readAllRequest(from: LogPosition | null, count: number): ReadReq {
  const all = new ReadReq.Options.AllOptions();
  if (from) all.setPosition(new ReadReq.Options.Position().setCommitPosition(from.commit.toString()).setPreparePosition(from.prepare.toString()));
  else all.setStart(new Empty());
  const options = new ReadReq.Options()
    .setAll(all)
    .setResolveLinks(false)
    .setCount(String(count))
    .setUuidOption(new ReadReq.Options.UUIDOption().setString(new Empty()))
    .setNoFilter(new Empty())
    .setReadDirection(ReadReq.Options.ReadDirection.FORWARDS);
  return new ReadReq().setOptions(options);
}

/**
 * Reads `count` records of `$all` from `from` (inclusive, as the protocol reads a position) or from
 * the start, forwards, links not resolved. `keep(streamId)` says whose JSON events to decode.
 */
export async function readAllRaw(
  client: EventStoreDBClient,
  from: LogPosition | null,
  count: number,
  keep: (streamId: string) => boolean,
): Promise<WireRecord[]> {
  const c = internals(client);
  const request = readAllRequest(from, count);
  return c.execute(RawStreams, 'readAll', (raw) => {
    const [metadata, options] = c.callArguments({}, { deadline: Infinity });
    return new Promise<WireRecord[]>((resolve, reject) => {
      const records: WireRecord[] = [];
      const call = raw.read(request, metadata, options);
      call.on('data', (bytes: Buffer) => {
        try {
          const record = decodeReadResp(bytes, keep);
          if (record) records.push(record);
        } catch (error) {
          call.cancel();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      call.on('error', reject);
      call.on('end', () => resolve(records));
    });
  });
}

/** A protobuf reader over one message's bytes. */
class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  private byte(): number {
    if (this.pos >= this.end) throw new Error('truncated ReadResp from the event store');
    return this.buf[this.pos++]!;
  }

  /** A varint that fits a JavaScript number exactly (tags, lengths). */
  uint(): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      value += (b & 0x7f) * mul;
      if (!(b & 0x80)) return value;
      mul *= 128;
    }
    throw new Error('a tag or length out of range in ReadResp from the event store');
  }

  /** A varint as an unsigned 64-bit integer. */
  uint64(): bigint {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (!(b & 0x80)) return BigInt(n);
      mul *= 128;
    }
    let big = BigInt(n);
    for (let shift = 49n; ; shift += 7n) {
      const b = this.byte();
      big |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asUintN(64, big);
      if (shift > 63n) throw new Error('bad varint in ReadResp from the event store');
    }
  }

  /** The bounds of a length-delimited field's content; moves past it. */
  delimited(): [number, number] {
    const length = this.uint();
    const start = this.pos;
    if (start + length > this.end) throw new Error('truncated ReadResp from the event store');
    this.pos = start + length;
    return [start, start + length];
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        while (this.byte() & 0x80);
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.delimited();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${wireType} in ReadResp from the event store`);
    }
    if (this.pos > this.end) throw new Error('truncated ReadResp from the event store');
  }

  sub([start, end]: [number, number]): Reader {
    return new Reader(this.buf, start, end);
  }

  text([start, end]: [number, number]): string {
    return this.buf.toString('utf8', start, end);
  }
}

/**
 * One `ReadResp`: its `event.event` record (ReadResp field 1, ReadEvent field 1) as position and,
 * when kept, the CategoryEvent; undefined for any other answer (as `client.readAll` yields nothing for them).
 */
export function decodeReadResp(bytes: Buffer, keep: (streamId: string) => boolean): WireRecord | undefined {
  const r = new Reader(bytes, 0, bytes.length);
  let readEvent: [number, number] | undefined;
  while (r.pos < r.end) {
    const tag = r.uint();
    if (tag === ((1 << 3) | 2)) readEvent = r.delimited();
    else r.skip(tag & 7);
  }
  if (!readEvent) return undefined;
  const e = r.sub(readEvent);
  let recorded: [number, number] | undefined;
  while (e.pos < e.end) {
    const tag = e.uint();
    if (tag === ((1 << 3) | 2)) recorded = e.delimited();
    else e.skip(tag & 7);
  }
  // A ReadEvent without its event (an unresolved link): the official client yields it with no event.
  if (!recorded) return { position: undefined, event: undefined };
  return decodeRecordedEvent(e.sub(recorded), keep);
}

function decodeRecordedEvent(r: Reader, keep: (streamId: string) => boolean): WireRecord {
  let id: string | undefined;
  let stream: [number, number] | undefined;
  let revision = 0n;
  let prepare = 0n;
  let commit = 0n;
  let type: string | undefined;
  let contentType: string | undefined;
  let created: string | undefined;
  let customMetadata: [number, number] | undefined;
  let data: [number, number] | undefined;
  while (r.pos < r.end) {
    const tag = r.uint();
    switch (tag) {
      case (1 << 3) | 2:
        id = decodeUuid(r.sub(r.delimited()));
        break;
      case (2 << 3) | 2: {
        const s = r.sub(r.delimited());
        stream = [s.pos, s.pos];
        while (s.pos < s.end) {
          const t = s.uint();
          if (t === ((3 << 3) | 2)) stream = s.delimited();
          else s.skip(t & 7);
        }
        break;
      }
      case (3 << 3) | 0:
        revision = r.uint64();
        break;
      case (4 << 3) | 0:
        prepare = r.uint64();
        break;
      case (5 << 3) | 0:
        commit = r.uint64();
        break;
      case (6 << 3) | 2: {
        const m = r.sub(r.delimited());
        let key = '';
        let value = '';
        while (m.pos < m.end) {
          const t = m.uint();
          if (t === ((1 << 3) | 2)) key = m.text(m.delimited());
          else if (t === ((2 << 3) | 2)) value = m.text(m.delimited());
          else m.skip(t & 7);
        }
        if (key === 'type') type = value;
        else if (key === 'content-type') contentType = value;
        else if (key === 'created') created = value;
        break;
      }
      case (7 << 3) | 2:
        customMetadata = r.delimited();
        break;
      case (8 << 3) | 2:
        data = r.delimited();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  if (!stream) throw new Error('a recorded event from the event store has no stream identifier');
  if (id === undefined) throw new Error('a recorded event from the event store has no id');
  const position = { commit, prepare };
  const streamId = r.text(stream);
  if ((contentType ?? 'application/octet-stream') !== 'application/json' || !keep(streamId)) return { position, event: undefined };
  return {
    position,
    event: {
      id,
      streamId,
      revision,
      type: type ?? '<no-event-type-provided>',
      data: parseJsonOr(r.text(data ?? [0, 0]), (text) => text) as CategoryEvent['data'],
      metadata: decodeMetadata(r.buf, customMetadata),
      created: createdDate(created),
      position,
    },
  };
}

/** As the official client: parsed JSON, or what `fallback` makes of the text it could not parse. */
function parseJsonOr(text: string, fallback: (text: string) => unknown): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback(text);
  }
}

/** Absent when empty; parsed JSON; else the bytes themselves (a Uint8Array), as the official client. */
function decodeMetadata(buf: Buffer, at: [number, number] | undefined): CategoryEvent['metadata'] {
  if (!at || at[0] === at[1]) return undefined;
  const bytes = new Uint8Array(buf.subarray(at[0], at[1]));
  return parseJsonOr(buf.toString('utf8', at[0], at[1]), () => bytes) as CategoryEvent['metadata'];
}

const TICKS_PER_MILLISECOND = 10_000n;

/** `created` is in .NET ticks (100 ns) since the epoch; missing or unreadable gives the epoch, as the official client. */
function createdDate(created: string | undefined): Date {
  if (created === undefined) return new Date(0);
  try {
    return new Date(Number(BigInt(created) / TICKS_PER_MILLISECOND));
  } catch {
    return new Date(0);
  }
}

/** A UUID as its string, or its two 64-bit halves (`structured`) formatted as the official client does. */
function decodeUuid(r: Reader): string {
  let text = '';
  let most = 0n;
  let least = 0n;
  let structured = false;
  while (r.pos < r.end) {
    const tag = r.uint();
    if (tag === ((2 << 3) | 2)) {
      text = r.text(r.delimited());
      structured = false;
    } else if (tag === ((1 << 3) | 2)) {
      structured = true;
      const s = r.sub(r.delimited());
      while (s.pos < s.end) {
        const t = s.uint();
        if (t === ((1 << 3) | 0)) most = s.uint64();
        else if (t === ((2 << 3) | 0)) least = s.uint64();
        else s.skip(t & 7);
      }
    } else r.skip(tag & 7);
  }
  if (!structured) return text;
  const hex = most.toString(16).padStart(16, '0') + least.toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
