import { randomUUID } from 'node:crypto';
import { FileLog, LOG_START, MemoryLog, probeRoom, type CommitLog } from './commit-log';
import { METADATA_TYPE, STREAM_DELETED_TYPE, metastreamOf, isMetastream, type EventRecord, type NewEvent } from './event-record';
import { exactRevision, expectationHolds, type ExpectedRevision } from './expected-revision';
import { Lru } from './lru';
import { decodeRecord, encodeRecord } from './record-codec';
import { parseStreamMetadata, type StreamMetadata } from './stream-metadata';
import { StreamIndex, type StreamIndexStats } from './stream-index';

/** What a writer needs to know about a stream; cached for recently used streams only. */
interface StreamState {
  /** Last revision, -1 when the stream has no events. */
  readonly last: number;
  readonly lastPosition: number | null;
  readonly tombstoned: boolean;
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
  | { readonly kind: 'not_found' }
  | { readonly kind: 'deleted' }
  | { readonly kind: 'events'; readonly records: Iterable<EventRecord>; readonly last: number };

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

export interface EventStoreOptions {
  readonly memory?: boolean;
  readonly dataDir?: string;
  /** Bytes per log segment (default 64 MiB). */
  readonly segmentBytes?: number;
  readonly clock?: () => number;
  /** After a failed write: how often the store checks whether it can write again (default 1 s). */
  readonly resumeCheckMs?: number;
  /** Told when writes stop (a full disk, say) and when they resume. */
  readonly onWriteState?: (message: string) => void;
}

/** What opening the files gives: the log, its index, and the ids of recent writes. */
interface OpenedFiles {
  readonly log: FileLog;
  readonly index: StreamIndex;
  readonly recentIds: readonly [string, number][];
  readonly truncatedBytes: number;
}

function openFiles(dir: string, segmentBytes: number | undefined): OpenedFiles {
  const index = new StreamIndex();
  const recentIds: [string, number][] = [];
  const hooks = {
    segmentStarted: (base: number) => index.openSegment(base),
    segmentSealed: (base: number, path: string, bytes: number) => index.seal(base, path, bytes),
    attachSealed: (base: number, path: string, bytes: number) => index.attachSealed(base, path, bytes),
  };
  const { log, truncatedBytes } = FileLog.open(dir, { segmentBytes, hooks }, (record) => {
    index.add(record.stream, record.revision, record.position);
    index.noteRecord(record.position);
    if (!record.tombstone) {
      recentIds.push([idKey(record.stream, record.id), record.revision]);
      if (recentIds.length > RECENT_IDS * 2) recentIds.splice(0, RECENT_IDS);
    }
  });
  return { log, index, recentIds: recentIds.slice(-RECENT_IDS), truncatedBytes };
}

/** How the files are opened again after a failed write, and who hears about it. */
interface Resumption {
  readonly dir: string;
  readonly segmentBytes: number | undefined;
  readonly checkMs: number;
  readonly tell: (message: string) => void;
}

const DELETED_METADATA = Buffer.from('{"$tb":9223372036854775807}', 'utf8');
/** The index revision of a tombstone record (its wire revision is 2^63 - 1). */
const TOMBSTONE_REVISION = Number.MAX_SAFE_INTEGER;
const STATE_CACHE = 50_000;
const RECENT_IDS = 100_000;

interface Entry {
  readonly revision: number;
  readonly position: number;
  /** Set when the record had to be read to check its stream name. */
  readonly record?: EventRecord;
}

/**
 * The store over the log. The index holds positions only; payloads are read from the log when a
 * reader asks. Writes are checked and indexed at once (so the next writer sees them), but readers
 * and subscribers only see records below the log's durable end.
 */
export class EventStore {
  private readonly states = new Lru<string, StreamState>(STATE_CACHE);
  /** Recent commits, for idempotent retries with `any` / `stream_exists` (EventStoreDB keeps such a cache too). */
  private readonly recentIds = new Lru<string, number>(RECENT_IDS);
  private readonly parsedMetadata = new Lru<number, StreamMetadata>(10_000);
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private closed = false;
  private logClosed = false;
  private readonly listeners = new Set<() => void>();
  private resumeTimer: NodeJS.Timeout | null = null;
  private lastResumeFailure = '';
  /** Files replaced after a failed write, closed a while later (a reader may still be on them). */
  private readonly retired = new Set<() => Promise<void>>();

  private constructor(
    private log: CommitLog,
    private index: StreamIndex,
    private readonly clock: () => number,
    private readonly resumption: Resumption | null = null,
  ) {}

  static open(options: EventStoreOptions): { store: EventStore; truncatedBytes: number } {
    const clock = options.clock ?? Date.now;
    const index = new StreamIndex();
    if (options.memory) {
      index.openSegment(0);
      return { store: new EventStore(new MemoryLog(), index, clock), truncatedBytes: 0 };
    }
    if (!options.dataDir) throw new Error('a dataDir is required unless memory is set');
    const files = openFiles(dataDir(options.dataDir), options.segmentBytes);
    const store = new EventStore(files.log, files.index, clock, {
      dir: dataDir(options.dataDir),
      segmentBytes: options.segmentBytes,
      checkMs: options.resumeCheckMs ?? 1_000,
      tell: options.onWriteState ?? (() => undefined),
    });
    for (const [key, revision] of files.recentIds) store.recentIds.set(key, revision);
    return { store, truncatedBytes: files.truncatedBytes };
  }

  /** A fresh store holds one system event, which clients expect to find in `$all`. */
  async seedIfEmpty(): Promise<void> {
    if (this.log.durableEnd > LOG_START) return;
    const data = Buffer.from(JSON.stringify({ createdBy: 'kairos-eventstore-server' }), 'utf8');
    await this.write([
      this.newRecord('$kairos-node', 0, { id: randomUUID(), type: '$NodeInitialised', isJson: true, data, metadata: Buffer.alloc(0) }),
    ]);
  }

  /** Position after the last durable record: readers see everything below it. */
  get visibleEnd(): number {
    return this.log.durableEnd;
  }

  onPublish(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(stream: string, expected: ExpectedRevision, events: readonly NewEvent[]): Promise<WriteOutcome> {
    const unwritable = this.unwritable();
    if (unwritable) return Promise.reject(unwritable);
    const state = this.state(stream);
    if (state.tombstoned) return Promise.resolve(refused({ kind: 'stream_deleted' }));
    const current = state.last;
    const meta = this.metadata(stream, Infinity);
    const softDeleted = meta?.truncateBefore !== undefined && meta.truncateBefore > current;
    if (expected.kind === 'stream_exists' && softDeleted) return Promise.resolve(refused({ kind: 'stream_deleted' }));

    // no_stream on a soft-deleted stream recreates it; its old events are not a previous attempt.
    const revives = softDeleted && expected.kind === 'no_stream';
    const retry = current >= 0 && events.length > 0 && !revives ? this.idempotentRetry(stream, current, expected, events) : 'new';
    if (retry === 'conflict') return Promise.resolve(wrongVersion(current, expected));
    if (retry !== 'new') return this.tail.then(() => retry);

    const condition = { current, softDeleted, metastreamExists: this.exists(metastreamOf(stream)) };
    if (!expectationHolds(expected, condition)) return Promise.resolve(wrongVersion(current, expected));
    if (events.length === 0) return this.tail.then(() => ({ ok: true, revision: current, position: state.lastPosition }));

    const drafts = events.map((event, i) => this.newRecord(stream, current + 1 + i, event));
    if (softDeleted && meta && !isMetastream(stream)) {
      const revived = Buffer.from(JSON.stringify({ ...meta.raw, $tb: current + 1 }), 'utf8');
      drafts.push(this.metadataRecord(stream, revived));
    }
    return this.write(drafts).then((positions) => ({ ok: true, revision: current + events.length, position: positions[events.length - 1] }));
  }

  /** Soft delete: reads say "not found" until the stream is appended to again. */
  delete(stream: string, expected: ExpectedRevision): Promise<WriteOutcome> {
    const unwritable = this.unwritable();
    if (unwritable) return Promise.reject(unwritable);
    const state = this.state(stream);
    if (state.tombstoned) return Promise.resolve(refused({ kind: 'stream_deleted' }));
    const current = state.last;
    const meta = this.metadata(stream, Infinity);
    const softDeleted = meta?.truncateBefore !== undefined && meta.truncateBefore > current;
    const metastreamExists = this.exists(metastreamOf(stream));
    if (!expectationHolds(expected, { current, softDeleted, metastreamExists }) || (current === -1 && !metastreamExists)) {
      return Promise.resolve(wrongVersion(current, expected));
    }
    return this.write([this.metadataRecord(stream, DELETED_METADATA)]).then(([position]) => ({ ok: true, revision: current, position }));
  }

  /** Hard delete: the stream can never be read, subscribed to or written again. */
  tombstone(stream: string, expected: ExpectedRevision): Promise<WriteOutcome> {
    const unwritable = this.unwritable();
    if (unwritable) return Promise.reject(unwritable);
    const state = this.state(stream);
    if (state.tombstoned) return Promise.resolve(refused({ kind: 'stream_deleted' }));
    const current = state.last;
    const meta = this.metadata(stream, Infinity);
    const softDeleted = meta?.truncateBefore !== undefined && meta.truncateBefore > current;
    const metastreamExists = this.exists(metastreamOf(stream));
    if (!expectationHolds(expected, { current, softDeleted, metastreamExists })) return Promise.resolve(wrongVersion(current, expected));
    const record: EventRecord = {
      ...this.newRecord(stream, TOMBSTONE_REVISION, {
        id: randomUUID(),
        type: STREAM_DELETED_TYPE,
        isJson: true,
        data: Buffer.alloc(0),
        metadata: Buffer.alloc(0),
      }),
      tombstone: true,
    };
    return this.write([record]).then(([position]) => ({ ok: true, revision: current, position }));
  }

  /**
   * A stream read as EventStoreDB answers it: `$maxCount`, `$maxAge`, `$tb` and soft deletes hide
   * events; `$$` metastreams show their last event only. Subscriptions catch up through this too.
   */
  readStream(stream: string, from: StreamStart, backwards: boolean, count: number): StreamRead {
    const below = this.log.durableEnd;
    const lastEntry = this.lastEntry(stream, below);
    if (!lastEntry) return { kind: 'not_found' };
    if (lastEntry.revision === TOMBSTONE_REVISION) return { kind: 'deleted' };
    const last = this.lastEntry(stream, below, true)?.revision ?? -1;
    if (last < 0) return { kind: 'not_found' };
    const meta = this.metadata(stream, below);
    if (meta?.truncateBefore !== undefined && meta.truncateBefore > last) return { kind: 'not_found' };
    const maxCount = isMetastream(stream) ? 1 : meta?.maxCount;
    const lower = Math.max(0, maxCount !== undefined ? last - maxCount + 1 : 0, meta?.truncateBefore ?? 0);
    const oldest = meta?.maxAge !== undefined ? this.clock() - meta.maxAge * 1000 : -Infinity;
    const start =
      from.kind === 'start' ? (backwards ? -1 : 0) : from.kind === 'end' ? (backwards ? last : last + 1) : clampRevision(from.revision);
    const low = backwards ? lower : Math.max(start, lower);
    const high = backwards ? Math.min(start, last) : last;
    return { kind: 'events', last, records: this.range(stream, low, high, backwards, count, oldest, below) };
  }

  /** Last visible revision of a stream (-1 if none), ignoring metadata: where live delivery starts. */
  lastVisibleRevision(stream: string): number {
    return this.lastEntry(stream, this.log.durableEnd, true)?.revision ?? -1;
  }

  /** Visible records from `revision` on, as written (live subscription delivery). */
  recordsFrom(stream: string, revision: number): Iterable<EventRecord> {
    const below = this.log.durableEnd;
    return this.range(stream, revision, Number.MAX_SAFE_INTEGER - 1, false, Number.MAX_SAFE_INTEGER, -Infinity, below);
  }

  /** The visible tombstone of a stream, if it has one. */
  visibleTombstone(stream: string): EventRecord | null {
    const entry = this.lastEntry(stream, this.log.durableEnd);
    return entry && entry.revision === TOMBSTONE_REVISION ? (entry.record ?? this.recordAt(entry.position)) : null;
  }

  readAll(from: AllStart, backwards: boolean, count: number): Iterable<EventRecord> {
    const below = this.log.durableEnd;
    if (!backwards) {
      const start = from.kind === 'start' ? LOG_START : from.kind === 'end' ? below : this.boundaryAtOrAfter(from.position, below);
      return this.forwardFrom(start, below, count);
    }
    const bound = from.kind === 'start' ? LOG_START : from.kind === 'end' ? below : Math.min(below, Math.max(LOG_START, clampPosition(from.position)));
    return this.backwardFrom(bound, count);
  }

  private *forwardFrom(start: number, below: number, count: number): Generator<EventRecord> {
    let position = start;
    for (let n = 0; n < count && position < below; n++) {
      const { record, next } = this.frameAt(position);
      yield record;
      position = next;
    }
  }

  /** Backwards in chunks: from a remembered boundary forwards to the bound, then in reverse. */
  private *backwardFrom(end: number, count: number): Generator<EventRecord> {
    let bound = end;
    let n = 0;
    while (n < count && bound > LOG_START) {
      const chunkStart = this.index.boundaryAtOrBefore(bound - 1, LOG_START);
      const chunk: EventRecord[] = [];
      for (let p = chunkStart; p < bound; ) {
        const { record, next } = this.frameAt(p);
        chunk.push(record);
        p = next;
      }
      for (let i = chunk.length - 1; i >= 0 && n < count; i--, n++) yield chunk[i];
      bound = chunkStart;
    }
  }

  /** The first record position at or after `position` (the visible end if none). */
  boundaryAtOrAfter(position: bigint, below = this.log.durableEnd): number {
    const p = clampPosition(position);
    if (p <= LOG_START) return LOG_START;
    if (p >= below) return below;
    let at = this.index.boundaryAtOrBefore(p, LOG_START);
    while (at < p && at < below) at = this.frameAt(at).next;
    return at;
  }

  /** Position of the last visible record (the seed at least). */
  lastVisiblePosition(): number {
    const below = this.log.durableEnd;
    let at = this.index.boundaryAtOrBefore(below - 1, LOG_START);
    for (let next = at; next < below; ) {
      at = next;
      next = this.frameAt(at).next;
    }
    return at;
  }

  /** The record at a record position and the position after it. */
  frameAt(position: number): { record: EventRecord; next: number } {
    const frame = this.log.frame(position);
    const decoded = decodeRecord(frame, 0, position);
    if (!decoded.ok) throw new Error(`the record at ${position} is damaged (${decoded.reason})`);
    return { record: decoded.record, next: position + frame.length };
  }

  /** The target of a link event (`$>` with data "revision@stream"), if it exists and is visible. */
  resolveLink(link: EventRecord): EventRecord | null {
    const text = Buffer.from(link.data).toString('utf8');
    const at = text.indexOf('@');
    if (at <= 0) return null;
    const revision = Number(text.slice(0, at));
    if (!Number.isSafeInteger(revision) || revision < 0) return null;
    return this.recordAtRevision(text.slice(at + 1), revision, this.log.durableEnd);
  }

  /** The last visible event of a stream (used for `$settings`). */
  lastVisibleRecord(stream: string): EventRecord | null {
    const entry = this.lastEntry(stream, this.log.durableEnd, true);
    return entry ? (entry.record ?? this.recordAt(entry.position)) : null;
  }

  /** Metadata as readers see it (durable only). */
  visibleMetadata(stream: string): StreamMetadata | undefined {
    return this.metadata(stream, this.log.durableEnd);
  }

  /** What the stream index holds and how often lookups read sealed segments (tests, diagnostics). */
  indexStats(): StreamIndexStats {
    return this.index.stats();
  }

  /** Refuses new writes (UNAVAILABLE) and waits for the accepted ones to be durable. Reads go on. */
  async stopWriting(): Promise<void> {
    this.closed = true;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = null;
    await this.tail;
  }

  async close(): Promise<void> {
    if (this.logClosed) return;
    this.logClosed = true;
    await this.stopWriting();
    await this.log.close();
    this.index.close();
    for (const retire of [...this.retired]) await retire();
  }

  private state(stream: string): StreamState {
    const cached = this.states.get(stream);
    if (cached) return cached;
    const last = this.lastEntry(stream, Infinity);
    let state: StreamState;
    if (!last) state = { last: -1, lastPosition: null, tombstoned: false };
    else if (last.revision === TOMBSTONE_REVISION) state = { last: -1, lastPosition: null, tombstoned: true };
    else state = { last: last.revision, lastPosition: last.position, tombstoned: false };
    this.states.set(stream, state);
    return state;
  }

  private exists(stream: string): boolean {
    return this.state(stream).last >= 0;
  }

  /** Entries of a stream below `below`, newest first or oldest first; names checked where hashed. */
  private *entries(stream: string, backwards: boolean, below: number): Generator<Entry> {
    const slices = this.index.slices(stream);
    for (let s = 0; s < slices.length; s++) {
      const slice = slices[backwards ? slices.length - 1 - s : s];
      const n = slice.positions.length;
      for (let k = 0; k < n; k++) {
        const i = backwards ? n - 1 - k : k;
        const position = slice.positions[i];
        if (position >= below) continue;
        if (slice.exact) yield { revision: slice.revisions[i], position };
        else {
          const record = this.recordAt(position);
          if (record.stream === stream) yield { revision: slice.revisions[i], position, record };
        }
      }
    }
  }

  private lastEntry(stream: string, below: number, skipTombstone = false): Entry | null {
    for (const entry of this.entries(stream, true, below)) {
      if (skipTombstone && entry.revision === TOMBSTONE_REVISION) continue;
      return entry;
    }
    return null;
  }

  private recordAtRevision(stream: string, revision: number, below: number): EventRecord | null {
    for (const entry of this.entries(stream, true, below)) {
      if (entry.revision === revision) return entry.record ?? this.recordAt(entry.position);
      if (entry.revision < revision) return null;
    }
    return null;
  }

  private *range(
    stream: string,
    low: number,
    high: number,
    backwards: boolean,
    count: number,
    oldestMs: number,
    below: number,
  ): Generator<EventRecord> {
    let sent = 0;
    if (sent >= count || low > high) return;
    for (const entry of this.entries(stream, backwards, below)) {
      if (entry.revision === TOMBSTONE_REVISION) continue;
      if (backwards ? entry.revision < low : entry.revision > high) return;
      if (entry.revision < low || entry.revision > high) continue;
      const record = entry.record ?? this.recordAt(entry.position);
      if (record.createdMs < oldestMs) continue;
      yield record;
      if (++sent >= count) return;
    }
  }

  private recordAt(position: number): EventRecord {
    return this.frameAt(position).record;
  }

  private idempotentRetry(stream: string, current: number, expected: ExpectedRevision, events: readonly NewEvent[]): WriteOutcome | 'new' | 'conflict' {
    const exact = exactRevision(expected);
    let first: number;
    if (exact === null) {
      const found = this.recentIds.get(idKey(stream, events[0].id));
      if (found === undefined) return 'new';
      first = found;
    } else {
      if (exact >= BigInt(current)) return 'new';
      first = Number(exact) + 1;
    }
    let last: EventRecord | null = null;
    for (let i = 0; i < events.length; i++) {
      last = first + i <= current ? this.recordAtRevision(stream, first + i, Infinity) : null;
      if (last?.id !== events[i].id) return 'conflict';
    }
    return { ok: true, revision: last!.revision, position: last!.position };
  }

  private metadata(stream: string, below: number): StreamMetadata | undefined {
    if (isMetastream(stream)) return undefined;
    const entry = this.lastEntry(metastreamOf(stream), below);
    if (!entry) return undefined;
    const cached = this.parsedMetadata.get(entry.position);
    if (cached) return cached;
    const meta = parseStreamMetadata(entry.record ?? this.recordAt(entry.position));
    this.parsedMetadata.set(entry.position, meta);
    return meta;
  }

  private metadataRecord(stream: string, data: Buffer): EventRecord {
    const name = metastreamOf(stream);
    return this.newRecord(name, this.state(name).last + 1, { id: randomUUID(), type: METADATA_TYPE, isJson: true, data, metadata: Buffer.alloc(0) });
  }

  private newRecord(stream: string, revision: number, event: NewEvent): EventRecord {
    return { ...event, stream, revision, tombstone: false, createdMs: this.clock(), position: 0 };
  }

  /** Reserves positions, indexes at once, and publishes once the log made the bytes durable. */
  private write(drafts: readonly EventRecord[]): Promise<number[]> {
    const frames = drafts.map((draft, i) => encodeRecord(draft, i === drafts.length - 1));
    const bytes = frames.length === 1 ? frames[0] : Buffer.concat(frames);
    const start = this.log.reserve(bytes.length);
    const positions: number[] = [];
    let position = start;
    for (let i = 0; i < drafts.length; i++) {
      const draft = drafts[i];
      this.index.add(draft.stream, draft.revision, position);
      this.index.noteRecord(position);
      this.states.set(
        draft.stream,
        draft.tombstone
          ? { last: -1, lastPosition: null, tombstoned: true }
          : { last: draft.revision, lastPosition: position, tombstoned: false },
      );
      if (!draft.tombstone) this.recentIds.set(idKey(draft.stream, draft.id), draft.revision);
      positions.push(position);
      position += frames[i].length;
    }
    const written = this.log.append(start, bytes).then(
      () => {
        for (const listener of this.listeners) listener();
        return positions;
      },
      (error: Error) => {
        this.writeFailed(error);
        throw new StoreUnavailableError(this.failure!.message);
      },
    );
    this.tail = written.catch(() => undefined);
    return written;
  }

  /**
   * A write failed (a full disk, say): nothing more is accepted, with a clear reason, until the
   * store can write again. Then it cuts from the files whatever was not acknowledged, opens them
   * again (the index rebuilt from what is on disk, as a restart would) and takes writes again.
   */
  private writeFailed(error: Error): void {
    if (this.failure) return;
    const code = (error as NodeJS.ErrnoException).code;
    const full = code === 'ENOSPC' || code === 'EDQUOT';
    this.failure = new Error(
      full
        ? `the event store's disk is full: writes are refused until there is room (${error.message})`
        : `the event store could not write its log: writes are refused until it can again (${error.message})`,
    );
    this.resumption?.tell(this.failure.message);
    this.scheduleResume();
  }

  private scheduleResume(): void {
    if (!this.resumption || this.closed || this.resumeTimer) return;
    this.resumeTimer = setTimeout(() => void this.resume(), this.resumption.checkMs);
    this.resumeTimer.unref();
  }

  private async resume(): Promise<void> {
    this.resumeTimer = null;
    const resumption = this.resumption!;
    // Every write accepted before the failure has settled (each was refused).
    await this.tail;
    if (this.closed || !this.failure) return;
    const log = this.log as FileLog;
    let files: OpenedFiles | null = null;
    try {
      probeRoom(resumption.dir);
      const durable = log.durableEnd;
      log.discardUnacknowledged();
      files = openFiles(resumption.dir, resumption.segmentBytes);
      if (files.log.durableEnd !== durable) {
        throw new Error(`the log opened again ends at ${files.log.durableEnd}, not at the acknowledged end ${durable}`);
      }
    } catch (error) {
      if (files) {
        await files.log.close();
        files.index.close();
      }
      // Still no room (or still failing): go on refusing, look again later. Said once per reason.
      const reason = `writes stay refused: ${(error as Error).message}`;
      if (reason !== this.lastResumeFailure) resumption.tell(reason);
      this.lastResumeFailure = reason;
      this.scheduleResume();
      return;
    }
    const oldIndex = this.index;
    this.log = files.log;
    this.index = files.index;
    // Whatever was cached about refused writes goes; what is on disk is the truth.
    this.states.clear();
    this.parsedMetadata.clear();
    this.recentIds.clear();
    for (const [key, revision] of files.recentIds) this.recentIds.set(key, revision);
    this.failure = null;
    this.lastResumeFailure = '';
    resumption.tell('the event store can write again: writes resume');
    // A reader that started before may still walk the old index and files for a moment.
    const retire = async () => {
      if (!this.retired.delete(retire)) return;
      await log.close().catch(() => undefined);
      oldIndex.close();
    };
    this.retired.add(retire);
    setTimeout(() => void retire(), 60_000).unref();
  }

  /** Why no write is taken now (as a rejection, never a throw: every caller gets an answer). */
  private unwritable(): StoreUnavailableError | null {
    if (this.failure) return new StoreUnavailableError(this.failure.message);
    if (this.closed) return new StoreUnavailableError('the server is shutting down');
    return null;
  }
}

function dataDir(dir: string): string {
  return dir;
}

function idKey(stream: string, id: string): string {
  return `${stream}\u0000${id}`;
}

function refused(refusal: WriteRefusal): WriteOutcome {
  return { ok: false, refusal };
}

function wrongVersion(current: number, expected: ExpectedRevision): WriteOutcome {
  return refused({ kind: 'wrong_expected_version', current, expected });
}

function clampRevision(revision: bigint): number {
  return revision > BigInt(Number.MAX_SAFE_INTEGER - 1) ? Number.MAX_SAFE_INTEGER - 1 : Number(revision);
}

function clampPosition(position: bigint): number {
  return position > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(position);
}
