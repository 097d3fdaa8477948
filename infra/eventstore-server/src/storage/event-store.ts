import { randomUUID } from 'node:crypto';
import type { CommitLog } from './commit-log';
import { METADATA_TYPE, STREAM_DELETED_TYPE, metastreamOf, isMetastream, type EventRecord, type NewEvent } from './event-record';
import { exactRevision, expectationHolds, type ExpectedRevision } from './expected-revision';
import { decodeRecord, encodeRecord } from './record-codec';
import { parseStreamMetadata, type StreamMetadata } from './stream-metadata';

interface StreamState {
  readonly name: string;
  /** Index = revision. Includes records not yet durable; readers stop at `visible`. */
  readonly records: EventRecord[];
  visible: number;
  readonly ids: Map<string, number>;
  tombstone: EventRecord | null;
  tombstoneVisible: boolean;
}

export type WriteRefusal =
  | { readonly kind: 'wrong_expected_version'; readonly current: number; readonly expected: ExpectedRevision }
  | { readonly kind: 'stream_deleted' };

export type WriteOutcome =
  | { readonly ok: true; readonly revision: number; readonly position: number | null }
  | { readonly ok: false; readonly refusal: WriteRefusal };

export type StreamStart = { readonly kind: 'start' } | { readonly kind: 'end' } | { readonly kind: 'revision'; readonly revision: bigint };
export type AllStart = { readonly kind: 'start' } | { readonly kind: 'end' } | { readonly kind: 'position'; readonly position: bigint };

export type StreamRead =
  { readonly kind: 'not_found' } | { readonly kind: 'deleted' } | { readonly kind: 'events'; readonly records: Iterable<EventRecord> };

export class StoreUnavailableError extends Error {}

const DELETED_METADATA = Buffer.from('{"$tb":9223372036854775807}', 'utf8');

/**
 * The in-memory index over the log. Writes are checked and applied to the index at once (so the next
 * writer sees them), but readers and subscribers only see records once the log acknowledged them.
 */
export class EventStore {
  private readonly all: EventRecord[] = [];
  private visibleAll = 0;
  private readonly streams = new Map<string, StreamState>();
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly log: CommitLog,
    private nextPosition: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Replays one record read back from the log at startup. */
  recover(record: EventRecord): void {
    this.index(record);
    this.makeVisible(record);
  }

  /** A fresh store holds one system event, which clients expect to find in `$all`. */
  async seedIfEmpty(): Promise<void> {
    if (this.all.length > 0) return;
    const data = Buffer.from(JSON.stringify({ createdBy: 'kairos-eventstore-server' }), 'utf8');
    await this.write([
      this.newRecord('$kairos-node', 0, { id: randomUUID(), type: '$NodeInitialised', isJson: true, data, metadata: Buffer.alloc(0) }),
    ]);
  }

  get lastPosition(): number {
    return this.visibleAll === 0 ? 0 : this.all[this.visibleAll - 1].position;
  }

  get visibleCount(): number {
    return this.visibleAll;
  }

  recordAt(index: number): EventRecord {
    return this.all[index];
  }

  /** Index of the first visible record whose position is >= `position` (or > when `exclusive`). */
  indexFrom(position: bigint, exclusive: boolean): number {
    let lo = 0;
    let hi = this.visibleAll;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = BigInt(this.all[mid].position);
      if (p < position || (exclusive && p === position)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  onPublish(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(stream: string, expected: ExpectedRevision, events: readonly NewEvent[]): Promise<WriteOutcome> {
    this.ensureWritable();
    const state = this.streams.get(stream);
    if (state?.tombstone) return Promise.resolve(refused({ kind: 'stream_deleted' }));
    const current = state ? state.records.length - 1 : -1;
    const meta = this.metadata(stream, false);
    const softDeleted = meta?.truncateBefore !== undefined && meta.truncateBefore > current;
    if (expected.kind === 'stream_exists' && softDeleted) return Promise.resolve(refused({ kind: 'stream_deleted' }));

    // no_stream on a soft-deleted stream recreates it; its old events are not a previous attempt.
    const revives = softDeleted && expected.kind === 'no_stream';
    const retry = state && events.length > 0 && !revives ? this.idempotentRetry(state, expected, events) : 'new';
    if (retry === 'conflict') return Promise.resolve(wrongVersion(current, expected));
    if (retry !== 'new') return this.tail.then(() => retry);

    const condition = { current, softDeleted, metastreamExists: this.streamLength(metastreamOf(stream)) > 0 };
    if (!expectationHolds(expected, condition)) return Promise.resolve(wrongVersion(current, expected));
    if (events.length === 0) {
      const last = state?.records[current];
      return this.tail.then(() => ({ ok: true, revision: current, position: last ? last.position : null }));
    }

    const drafts = events.map((event, i) => this.newRecord(stream, current + 1 + i, event));
    if (softDeleted && meta && !isMetastream(stream)) {
      const revived = Buffer.from(JSON.stringify({ ...meta.raw, $tb: current + 1 }), 'utf8');
      drafts.push(this.metadataRecord(stream, revived));
    }
    return this.write(drafts).then((records) => {
      const last = records[events.length - 1];
      return { ok: true, revision: last.revision, position: last.position };
    });
  }

  /** Soft delete: reads say "not found" until the stream is appended to again. */
  delete(stream: string, expected: ExpectedRevision): Promise<WriteOutcome> {
    this.ensureWritable();
    const state = this.streams.get(stream);
    if (state?.tombstone) return Promise.resolve(refused({ kind: 'stream_deleted' }));
    const current = state ? state.records.length - 1 : -1;
    const meta = this.metadata(stream, false);
    const softDeleted = meta?.truncateBefore !== undefined && meta.truncateBefore > current;
    const metastreamExists = this.streamLength(metastreamOf(stream)) > 0;
    if (!expectationHolds(expected, { current, softDeleted, metastreamExists }) || (current === -1 && !metastreamExists)) {
      return Promise.resolve(wrongVersion(current, expected));
    }
    return this.write([this.metadataRecord(stream, DELETED_METADATA)]).then(([record]) => ({
      ok: true,
      revision: current,
      position: record.position,
    }));
  }

  /** Hard delete: the stream can never be read, subscribed to or written again. */
  tombstone(stream: string, expected: ExpectedRevision): Promise<WriteOutcome> {
    this.ensureWritable();
    const state = this.streams.get(stream);
    if (state?.tombstone) return Promise.resolve(refused({ kind: 'stream_deleted' }));
    const current = state ? state.records.length - 1 : -1;
    const meta = this.metadata(stream, false);
    const softDeleted = meta?.truncateBefore !== undefined && meta.truncateBefore > current;
    const metastreamExists = this.streamLength(metastreamOf(stream)) > 0;
    if (!expectationHolds(expected, { current, softDeleted, metastreamExists })) return Promise.resolve(wrongVersion(current, expected));
    const record: EventRecord = {
      ...this.newRecord(stream, Number.MAX_SAFE_INTEGER, {
        id: randomUUID(),
        type: STREAM_DELETED_TYPE,
        isJson: true,
        data: Buffer.alloc(0),
        metadata: Buffer.alloc(0),
      }),
      tombstone: true,
    };
    return this.write([record]).then(([written]) => ({ ok: true, revision: current, position: written.position }));
  }

  readStream(stream: string, from: StreamStart, backwards: boolean, count: number): StreamRead {
    const state = this.streams.get(stream);
    if (state?.tombstoneVisible) return { kind: 'deleted' };
    const last = state ? state.visible - 1 : -1;
    if (!state || last < 0) return { kind: 'not_found' };
    const meta = this.metadata(stream, true);
    if (meta?.truncateBefore !== undefined && meta.truncateBefore > last) return { kind: 'not_found' };
    const maxCount = isMetastream(stream) ? 1 : meta?.maxCount;
    const lower = Math.max(0, maxCount !== undefined ? last - maxCount + 1 : 0, meta?.truncateBefore ?? 0);
    const oldest = meta?.maxAge !== undefined ? this.clock() - meta.maxAge * 1000 : -Infinity;
    const start =
      from.kind === 'start' ? (backwards ? -1 : 0) : from.kind === 'end' ? (backwards ? last : last + 1) : clampRevision(from.revision);
    return { kind: 'events', records: streamRange(state.records, start, lower, last, backwards, count, oldest) };
  }

  readAll(from: AllStart, backwards: boolean, count: number): Iterable<EventRecord> {
    const all = this.all;
    const visible = this.visibleAll;
    let index: number;
    if (backwards) index = from.kind === 'start' ? -1 : from.kind === 'end' ? visible - 1 : this.indexFrom(from.position, false) - 1;
    else index = from.kind === 'start' ? 0 : from.kind === 'end' ? visible : this.indexFrom(from.position, false);
    return (function* () {
      for (let n = 0; n < count && index >= 0 && index < visible; n++, index += backwards ? -1 : 1) yield all[index];
    })();
  }

  /** Stream view for subscriptions: the visible revisions and whether a tombstone is visible. */
  streamView(stream: string): {
    readonly visible: number;
    readonly records: readonly EventRecord[];
    readonly tombstone: EventRecord | null;
  } {
    const state = this.streams.get(stream);
    if (!state) return { visible: 0, records: [], tombstone: null };
    return { visible: state.visible, records: state.records, tombstone: state.tombstoneVisible ? state.tombstone : null };
  }

  /** The target of a link event (`$>` with data "revision@stream"), if it exists and is visible. */
  resolveLink(link: EventRecord): EventRecord | null {
    const text = Buffer.from(link.data).toString('utf8');
    const at = text.indexOf('@');
    if (at <= 0) return null;
    const revision = Number(text.slice(0, at));
    const state = this.streams.get(text.slice(at + 1));
    if (!state || !Number.isInteger(revision) || revision < 0 || revision >= state.visible) return null;
    return state.records[revision];
  }

  async close(): Promise<void> {
    await this.tail;
    await this.log.close();
  }

  private idempotentRetry(state: StreamState, expected: ExpectedRevision, events: readonly NewEvent[]): WriteOutcome | 'new' | 'conflict' {
    const exact = exactRevision(expected);
    let first: number;
    if (exact === null) {
      const found = state.ids.get(events[0].id);
      if (found === undefined) return 'new';
      first = found;
    } else {
      if (exact >= BigInt(state.records.length - 1)) return 'new';
      first = Number(exact) + 1;
    }
    for (let i = 0; i < events.length; i++) {
      if (state.records[first + i]?.id !== events[i].id) return 'conflict';
    }
    const last = state.records[first + events.length - 1];
    return { ok: true, revision: last.revision, position: last.position };
  }

  private metadata(stream: string, visibleOnly: boolean): StreamMetadata | undefined {
    if (isMetastream(stream)) return undefined;
    const meta = this.streams.get(metastreamOf(stream));
    if (!meta) return undefined;
    const record = meta.records[(visibleOnly ? meta.visible : meta.records.length) - 1];
    return record ? parseStreamMetadata(record) : undefined;
  }

  private streamLength(stream: string): number {
    return this.streams.get(stream)?.records.length ?? 0;
  }

  private metadataRecord(stream: string, data: Buffer): EventRecord {
    const name = metastreamOf(stream);
    return this.newRecord(name, this.streamLength(name), {
      id: randomUUID(),
      type: METADATA_TYPE,
      isJson: true,
      data,
      metadata: Buffer.alloc(0),
    });
  }

  private newRecord(stream: string, revision: number, event: NewEvent): EventRecord {
    return { ...event, stream, revision, tombstone: false, createdMs: this.clock(), position: 0 };
  }

  /** Assigns positions, indexes at once, and publishes once the log made the bytes durable. */
  private write(drafts: readonly EventRecord[]): Promise<EventRecord[]> {
    const frames: Buffer[] = [];
    const records: EventRecord[] = [];
    let pendingPosition = this.nextPosition;
    for (let i = 0; i < drafts.length; i++) {
      const frame = encodeRecord({ ...drafts[i], position: pendingPosition }, i === drafts.length - 1);
      // The kept record points into its own frame, so it does not pin the gRPC request it came in.
      const decoded = decodeRecord(frame, 0, pendingPosition);
      if (!decoded.ok) throw new Error(`record failed to round-trip: ${decoded.reason}`);
      pendingPosition += frame.length;
      frames.push(frame);
      records.push({ ...decoded.record, revision: drafts[i].revision });
    }
    this.nextPosition = pendingPosition;
    for (const record of records) this.index(record);
    const written = this.log.append(frames.length === 1 ? frames[0] : Buffer.concat(frames)).then(
      () => {
        for (const record of records) this.makeVisible(record);
        for (const listener of this.listeners) listener();
        return records;
      },
      (error: Error) => {
        this.failure = error;
        throw new StoreUnavailableError(error.message);
      },
    );
    this.tail = written.catch(() => undefined);
    return written;
  }

  private index(record: EventRecord): void {
    this.all.push(record);
    let state = this.streams.get(record.stream);
    if (!state) {
      state = { name: record.stream, records: [], visible: 0, ids: new Map(), tombstone: null, tombstoneVisible: false };
      this.streams.set(record.stream, state);
    }
    if (record.tombstone) {
      state.tombstone = record;
      return;
    }
    state.records.push(record);
    if (!state.ids.has(record.id)) state.ids.set(record.id, state.records.length - 1);
  }

  private makeVisible(record: EventRecord): void {
    this.visibleAll++;
    const state = this.streams.get(record.stream);
    if (!state) return;
    if (record.tombstone) state.tombstoneVisible = true;
    else state.visible++;
  }

  private ensureWritable(): void {
    if (this.failure) throw new StoreUnavailableError(this.failure.message);
  }
}

function refused(refusal: WriteRefusal): WriteOutcome {
  return { ok: false, refusal };
}

function wrongVersion(current: number, expected: ExpectedRevision): WriteOutcome {
  return refused({ kind: 'wrong_expected_version', current, expected });
}

function clampRevision(revision: bigint): number {
  return revision > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(revision);
}

function* streamRange(
  records: readonly EventRecord[],
  start: number,
  lower: number,
  last: number,
  backwards: boolean,
  count: number,
  oldestMs: number,
): Generator<EventRecord> {
  let sent = 0;
  if (backwards) {
    for (let r = Math.min(start, last); r >= lower && sent < count; r--) {
      if (records[r].createdMs < oldestMs) continue;
      yield records[r];
      sent++;
    }
  } else {
    for (let r = Math.max(start, lower); r <= last && sent < count; r++) {
      if (records[r].createdMs < oldestMs) continue;
      yield records[r];
      sent++;
    }
  }
}
