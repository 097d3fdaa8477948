import type { CategoryEvent, Queryable } from '@kairos/event-store';
import { classifyEvent } from '../../domain/classify-event';
import { chainLink, eventDigest, GENESIS } from '../../domain/hash-chain';
import type { ReadModel, ReadModelChange } from '../../domain/read-model-changes';
import { READ_MODELS, storableChanges, type ColumnType } from './apply-event';
import type { AuditTables } from './audit-schema';
import { projectEventIn, timelineValues } from './projection-store';

type Row = Record<string, unknown>;

export const REPLAY_SUBSCRIPTION = 'audit-replay';

/** The timeline columns in insert order, with the casts `projectEvent`'s insert gets from the table. */
const EVENT_COLUMNS = [
  ['stream', 'text'],
  ['revision', 'bigint'],
  ['request_id', 'text'],
  ['event_id', 'text'],
  ['type', 'text'],
  ['commit_position', 'numeric'],
  ['prepare_position', 'numeric'],
  ['recorded_at', 'timestamptz'],
  ['data', 'jsonb'],
  ['metadata', 'jsonb'],
  ['status', 'text'],
  ['problem', 'text'],
  ['digest', 'text'],
  ['previous_hash', 'text'],
  ['chain_hash', 'text'],
] as const;

/**
 * How each timeline column is read from a JSON row: text values cast like bind parameters; data as
 * embedded JSON (JSON null stays the jsonb `null`, as `JSON.stringify(null)` does); metadata embedded
 * as `[value]`, or `[]` for SQL NULL.
 */
const EVENT_VALUES = EVENT_COLUMNS.map(([column, type], i) =>
  column === 'data' ? `r->${i}` : column === 'metadata' ? `r->${i}->0` : `(r->>${i})::${type}`,
);

/** Cached rows beyond this are dropped after a flush, so memory stays bounded on long histories. */
const MAX_CACHED = 200_000;

interface StreamHead {
  revision: bigint;
  hash: string;
}

interface Cached {
  /** The row (values as they will be written), or null when known not to exist. */
  row: Row | null;
  /** Changed since the last flush. */
  dirty: boolean;
}

/** What `BatchProjector.prepare` works out for one event, whatever came before it. */
export interface PreparedEvent {
  readonly event: CategoryEvent;
  readonly digest: string;
  /** The timeline row as JSON (see EVENT_VALUES) up to its two chain columns, which depend on the stream's head. */
  readonly rowPrefix: string;
  readonly changes: readonly ReadModelChange[];
  /**
   * Every value is one PostgreSQL certainly stores as is. Else projectEvent handles the event: it
   * records a change the read models refuse as malformed (or fails as the live projection does).
   */
  readonly certain: boolean;
}

const keyOf = (table: ReadModel, values: Readonly<Row>): string => READ_MODELS[table].key.map((k) => values[k] as string).join('\u0000');

/**
 * Projects a replay's events in bulk, with the same result as `projectEvent` one at a time: the hash
 * chain heads and the read-model rows a batch touches are held in memory, the batch's changes applied
 * there (the same `readModelChanges` as the live projection), then written with multi-row statements.
 *
 * Whatever memory cannot decide with certainty (a revision not after its stream's head, a value
 * PostgreSQL might refuse, which `projectEvent` turns into a `malformed` entry) is written out first
 * and then handled by `projectEvent` itself, in the same transaction.
 */
export class BatchProjector {
  private readonly heads = new Map<string, StreamHead>();
  private readonly rows: Record<ReadModel, Map<string, Cached>> = {
    requests: new Map(),
    items: new Map(),
    reviews: new Map(),
    grants: new Map(),
  };
  /** Timeline rows not yet written, each a JSON array (see EVENT_VALUES). */
  private pendingEvents: string[] = [];
  /** Events handled by `projectEvent` rather than in memory (for tests and the curious). */
  slowPath = 0;

  constructor(
    private readonly t: AuditTables,
    /** Names the replay in `parked_events` when the read models refuse an event. */
    private readonly subscriptionId = REPLAY_SUBSCRIPTION,
  ) {}

  /**
   * Records a batch of prepared events (see `prepare`) in the caller's transaction. The events must come
   * in log order, one batch after the other.
   */
  async project(tx: Queryable, prepared: readonly PreparedEvent[]): Promise<void> {
    let i = 0;
    while (i < prepared.length) {
      await this.load(tx, prepared.slice(i));
      for (; i < prepared.length; i++) if (!this.applyInMemory(prepared[i]!)) break;
      await this.flush(tx);
      if (i < prepared.length) {
        const event = prepared[i++]!.event;
        this.clear();
        this.slowPath++;
        await projectEventIn(tx, this.t, event, this.subscriptionId);
      }
    }
    if (this.heads.size + this.cachedRows() > MAX_CACHED) this.clear();
  }

  /** Everything about one event that does not depend on what came before it. */
  prepare(event: CategoryEvent): PreparedEvent {
    const digest = eventDigest(event);
    const classified = classifyEvent(event.type, event.data, event.metadata);
    let changes: readonly ReadModelChange[] = [];
    let needsProjectEvent = false;
    if (classified.status === 'recorded') {
      try {
        changes = storableChanges(classified.event);
      } catch {
        needsProjectEvent = true;
      }
    }
    const timeline = timelineValues(event, classified, digest);
    // data and metadata are JSON.stringify output: NUL and lone surrogates appear there only escaped.
    const timelineIsSafe = timeline.every((v, i) => v === null || (i === 8 || i === 9 ? !hasUnsafeJsonEscape(v) : isSafeText(v)));
    const data = timeline[8]!;
    const metadata = timeline[9] ?? null;
    const rowPrefix = `${JSON.stringify(timeline.slice(0, 8)).slice(0, -1)},${data},${metadata === null ? '[]' : `[${metadata}]`},${JSON.stringify(timeline.slice(10)).slice(1, -1)}`;
    return { event, digest, rowPrefix, changes, certain: !needsProjectEvent && timelineIsSafe && changes.every(isCertainChange) };
  }

  /** Loads the stream heads and rows the events may touch and that are not cached yet. */
  private async load(tx: Queryable, prepared: readonly PreparedEvent[]): Promise<void> {
    const streams = new Set<string>();
    const wanted: Record<ReadModel, Map<string, Row>> = { requests: new Map(), items: new Map(), reviews: new Map(), grants: new Map() };
    for (const p of prepared) {
      if (!this.heads.has(p.event.streamId)) streams.add(p.event.streamId);
      for (const c of p.changes) {
        const values = c.kind === 'insert' ? c.row : c.key;
        if (!READ_MODELS[c.table].key.every((k) => isSafeText(values[k]))) continue;
        const key = keyOf(c.table, values);
        if (!this.rows[c.table].has(key)) wanted[c.table].set(key, values);
      }
    }
    if (streams.size > 0) {
      const found = (await tx.query(
        `SELECT DISTINCT ON (e.stream) e.stream, e.revision::text AS head, e.chain_hash FROM ${this.t.events} e
         WHERE e.stream = ANY($1::text[]) ORDER BY e.stream, e.revision DESC`,
        [[...streams]],
      )) as { stream: string; head: string; chain_hash: string }[];
      for (const s of streams) this.heads.set(s, { revision: -1n, hash: GENESIS });
      for (const r of found) this.heads.set(r.stream, { revision: BigInt(r.head), hash: r.chain_hash });
    }
    for (const table of Object.keys(wanted) as ReadModel[]) {
      const want = wanted[table];
      if (want.size === 0) continue;
      const spec = READ_MODELS[table];
      const keyArrays = spec.key.map((k) => [...want.values()].map((v) => v[k] as string));
      // Every value as PostgreSQL's own text, which it reads back exactly when the row is written again.
      const found = (await tx.query(
        `SELECT ${Object.keys(spec.columns)
          .map((c) => `t.${c}::text AS ${c}`)
          .join(', ')} FROM ${this.t[table]} t
         JOIN unnest(${spec.key.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS k(${spec.key.join(', ')}) USING (${spec.key.join(', ')})`,
        keyArrays,
      )) as Row[];
      for (const key of want.keys()) this.rows[table].set(key, { row: null, dirty: false });
      for (const row of found) this.rows[table].set(keyOf(table, row), { row, dirty: false });
    }
  }

  /** Applies one event to the cached state; false (and nothing changed) when only `projectEvent` can tell. */
  private applyInMemory(p: PreparedEvent): boolean {
    const head = this.heads.get(p.event.streamId);
    if (!p.certain || !head || p.event.revision <= head.revision) return false;
    for (const c of p.changes) if (!this.rows[c.table].has(keyOf(c.table, c.kind === 'insert' ? c.row : c.key))) return false;
    const previous = head.hash;
    const link = chainLink(previous, p.digest);
    this.pendingEvents.push(`${p.rowPrefix},"${previous}","${link}"]`);
    head.revision = p.event.revision;
    head.hash = link;
    for (const c of p.changes) {
      const cached = this.rows[c.table].get(keyOf(c.table, c.kind === 'insert' ? c.row : c.key))!;
      if (c.kind === 'insert') {
        if (cached.row) continue;
        cached.row = Object.fromEntries(Object.keys(READ_MODELS[c.table].columns).map((name) => [name, c.row[name] ?? null]));
        cached.dirty = true;
      } else {
        if (!cached.row) continue;
        if (c.when && !Object.entries(c.when).every(([name, value]) => cached.row![name] === value)) continue;
        Object.assign(cached.row, c.set);
        cached.dirty = true;
      }
    }
    return true;
  }

  /** Writes the timeline rows and changed read-model rows held in memory. */
  private async flush(tx: Queryable): Promise<void> {
    await this.insert(
      tx,
      this.t.events,
      EVENT_COLUMNS.map(([c]) => c),
      EVENT_VALUES,
      this.pendingEvents,
      '',
    );
    this.pendingEvents = [];
    for (const table of Object.keys(this.rows) as ReadModel[]) {
      const spec = READ_MODELS[table];
      const columns = Object.keys(spec.columns);
      const dirty: string[] = [];
      for (const cached of this.rows[table].values()) {
        if (!cached.dirty) continue;
        dirty.push(JSON.stringify(columns.map((c) => cached.row![c] ?? null)));
        cached.dirty = false;
      }
      const updates = columns.filter((c) => !spec.key.includes(c));
      const onConflict =
        table === 'requests' || table === 'reviews'
          ? `ON CONFLICT (${spec.key.join(', ')}) DO NOTHING`
          : `ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${updates.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
      await this.insert(
        tx,
        this.t[table],
        columns,
        columns.map((c, i) => `(r->>${i})::${spec.columns[c]!.type}`),
        dirty,
        onConflict,
      );
    }
  }

  /**
   * One multi-row insert: the rows travel as one JSON array of arrays (far cheaper to encode than a
   * bind parameter per value, or than PostgreSQL array literals) and each value is cast to its column's
   * type from its text, as a bind parameter would be. A `raw` row element is JSON text embedded as is.
   */
  private async insert(
    tx: Queryable,
    table: string,
    columns: readonly string[],
    values: readonly string[],
    rows: readonly string[],
    suffix: string,
  ): Promise<void> {
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${values.join(', ')} FROM jsonb_array_elements($1::jsonb) r ${suffix}`,
      [`[${rows.join(',')}]`],
    );
  }

  private cachedRows(): number {
    return Object.values(this.rows).reduce((n, m) => n + m.size, 0);
  }

  /** Forgets every cached head and row: after a rolled-back batch the cache no longer matches the tables. */
  clear(): void {
    this.heads.clear();
    for (const m of Object.values(this.rows)) m.clear();
  }
}

/** A quick scan: most text has neither NUL nor any surrogate, and needs no closer look. */
const SUSPECT = /[\u0000\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text PostgreSQL stores exactly as JavaScript compares it: no NUL, no lone surrogate. */
function isSafeText(value: unknown): value is string {
  return typeof value === 'string' && (!SUSPECT.test(value) || (!value.includes('\u0000') && !LONE_SURROGATE.test(value)));
}

/** `\u0000` and escaped lone surrogates are JSON that jsonb refuses. */
function hasUnsafeJsonEscape(json: string): boolean {
  return json.includes('\\u') && /\\u(0000|d[89a-f])/i.test(json);
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-](\d{2}):(\d{2}))$/;

/** An RFC 3339 time PostgreSQL certainly accepts (anything else is left to PostgreSQL itself). */
function isCertainTimestamp(value: string): boolean {
  const m = TIMESTAMP.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month]!)) return false;
  if (m[9] !== undefined && (Number(m[9]) > 14 || Number(m[10]) > 59)) return false;
  return true;
}

/** Every value of the change certainly goes into its column without an error. */
function isCertainChange(c: ReadModelChange): boolean {
  const spec = READ_MODELS[c.table];
  const values = c.kind === 'insert' ? c.row : c.key;
  if (!spec.key.every((k) => isSafeText(values[k]))) return false;
  if (c.kind === 'insert') {
    for (const name in c.row) if (!(name in spec.columns)) return false;
    for (const name in spec.columns) {
      const column = spec.columns[name]!;
      if (!isCertain(c.row[name], column.type, column.nullable)) return false;
    }
    return true;
  }
  for (const name in c.set) {
    const column = spec.columns[name];
    if (!column || !isCertain(c.set[name], column.type, column.nullable)) return false;
  }
  for (const name in c.when) if (spec.columns[name]?.type !== 'text' || !isSafeText(c.when[name])) return false;
  return true;
}

/** True when PostgreSQL certainly stores this value in such a column without an error. */
function isCertain(value: unknown, type: ColumnType, nullable: boolean): boolean {
  if (value === null || value === undefined) return nullable;
  switch (type) {
    case 'text':
      return isSafeText(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647;
    case 'timestamptz':
      return typeof value === 'string' && isCertainTimestamp(value);
    case 'jsonb':
      return isSafeText(value) && !hasUnsafeJsonEscape(value);
  }
}
