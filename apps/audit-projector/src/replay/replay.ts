import { FORWARDS, START, type EventStoreDBClient } from '@eventstore/db-client';
import { ACCESS_REQUEST_STREAM_PREFIX } from '@kairos/contracts';
import { categoryEventOf, describeFailure, PgCheckpointStore, PgParkedEvents, type CategoryEvent, type LogPosition } from '@kairos/event-store';
import { databaseAnswers, isTransientDatabaseError } from '@kairos/persistence';
import type { DataSource } from 'typeorm';
import { AuditTables } from '../projection/audit-schema';
import { LIVE_SUBSCRIPTION } from '../projection/projection-runner';
import { projectEvent } from '../projection/project-event';
import { BatchProjector, REPLAY_SUBSCRIPTION, type PreparedEvent } from './batch-projector';

export interface TableComparison {
  readonly table: string;
  readonly liveRows: number;
  readonly replayRows: number;
  readonly onlyInLive: number;
  readonly onlyInReplay: number;
}

export interface ReplayReport {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly scratchSchema: string;
  readonly replayedTo: LogPosition | null;
  readonly liveAt: LogPosition | null;
  readonly equal: boolean;
  readonly tables: readonly TableComparison[];
  /** Events parked by the live projection and by the replay (the read models refused them). */
  readonly parked: { readonly live: number; readonly replay: number };
}

/** Events per transaction of the scratch schema. */
const BATCH = 2_000;
/** Records per read of `$all` (every stream; the request streams are picked here). */
const PAGE = 4_000;

interface Page {
  readonly events: CategoryEvent[];
  /** Where the next page starts; null once `$all` has been read to its end. */
  readonly next: Position | null;
}

type Position = { readonly commit: bigint; readonly prepare: bigint };
const after = (a: Position, b: Position) => a.commit > b.commit || (a.commit === b.commit && a.prepare > b.prepare);

/** One page of `$all` from `from` (exclusive once past the start), the request streams' JSON events kept. */
async function readPage(client: EventStoreDBClient, from: Position | null, pageSize = PAGE): Promise<Page> {
  const events: CategoryEvent[] = [];
  let read = 0;
  let last: Position | null = null;
  // A read from a position starts with the event at it, which the previous page ended with.
  for await (const resolved of client.readAll({
    fromPosition: from ?? START,
    direction: FORWARDS,
    maxCount: from ? pageSize + 1 : pageSize,
  })) {
    const e = resolved.event;
    if (from && e?.position && !after(e.position, from)) continue;
    read++;
    if (e?.position) last = e.position;
    const event = categoryEventOf(resolved);
    if (event && event.streamId.startsWith(ACCESS_REQUEST_STREAM_PREFIX)) events.push(event);
  }
  return { events, next: read < pageSize || !last ? null : last };
}

/**
 * Rebuilds every read model from the first event into a scratch schema, with the same code as the
 * live projection, then compares the two row by row. The live schema is never written.
 *
 * `$all` is read in pages (the next page is read while the current one is written) and projected by
 * a `BatchProjector`: one transaction per batch, state in memory, multi-row writes. A failed replay
 * leaves only its scratch schema behind, which the next one drops.
 */
export async function replayAndCompare(options: {
  readonly client: EventStoreDBClient;
  readonly db: DataSource;
  readonly live: AuditTables;
  readonly keepScratch?: boolean;
  readonly elapsedSeconds?: () => number;
  /** Events per transaction and records per read (tests make them small to cross their edges). */
  readonly batchSize?: number;
  readonly pageSize?: number;
}): Promise<ReplayReport> {
  const { client, db, live } = options;
  const scratch = new AuditTables(`${live.schema}_replay`);
  const started = process.hrtime.bigint();
  const elapsed = options.elapsedSeconds ?? (() => Number(process.hrtime.bigint() - started) / 1e9);
  await db.query(`DROP SCHEMA IF EXISTS "${scratch.schema}" CASCADE`);
  for (const sql of scratch.ddl()) await db.query(sql);
  // Disposable tables need no write-ahead log: a crash loses only a replay that is run again.
  for (const table of [...scratch.readModels, `"${scratch.schema}".event_store_checkpoints`])
    await db.query(`ALTER TABLE ${table} SET UNLOGGED`);
  const checkpoints = new PgCheckpointStore(db, scratch.schema);
  const projector = new BatchProjector(scratch);
  const batchSize = options.batchSize ?? BATCH;

  let events = 0;
  let last: LogPosition | null = null;
  const parked = new PgParkedEvents(db, scratch.schema);
  const writeBatch = (batch: readonly PreparedEvent[]) =>
    db.transaction(async (tx) => {
      await projector.project(tx, batch);
      await checkpoints.save(tx, REPLAY_SUBSCRIPTION, batch[batch.length - 1]!.event.position);
    });
  // As the live projection does: a batch that fails for the data's sake (never for an outage) is
  // written again one event at a time, and an event that still cannot be recorded is parked.
  const write = async (batch: readonly PreparedEvent[]) => {
    try {
      await writeBatch(batch);
      return;
    } catch (error) {
      projector.clear();
      if (isTransientDatabaseError(error) || !(await databaseAnswers(db))) throw error;
    }
    for (const { event } of batch) {
      try {
        await db.transaction(async (tx) => {
          await projectEvent(tx, scratch, event, REPLAY_SUBSCRIPTION);
          await checkpoints.save(tx, REPLAY_SUBSCRIPTION, event.position);
        });
      } catch (error) {
        if (isTransientDatabaseError(error) || !(await databaseAnswers(db))) throw error;
        await db.transaction(async (tx) => {
          await parked.park(tx, REPLAY_SUBSCRIPTION, event, error, 1);
          await checkpoints.save(tx, REPLAY_SUBSCRIPTION, event.position);
        });
        process.stderr.write(`replay parked ${event.streamId}@${event.revision}: ${describeFailure(error)}\n`);
      }
    }
  };
  // A pipeline: while one batch is written, the next page is read and the one before it prepared.
  // Both promises get a handler at once; a failure is thrown where it is awaited.
  const quiet = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    return p;
  };
  let writing: Promise<void> = Promise.resolve();
  let pending: PreparedEvent[] = [];
  let reading: Promise<Page> | null = quiet(readPage(client, null, options.pageSize));
  while (reading) {
    const page: Page = await reading;
    reading = page.next ? quiet(readPage(client, page.next, options.pageSize)) : null;
    for (const event of page.events) pending.push(projector.prepare(event));
    events += page.events.length;
    if (page.events.length > 0) last = page.events[page.events.length - 1]!.position;
    while (pending.length >= batchSize || (!reading && pending.length > 0)) {
      const batch = pending.slice(0, batchSize);
      pending = pending.slice(batchSize);
      await writing;
      writing = quiet(write(batch));
    }
  }
  await writing;
  const seconds = elapsed();

  const tables: TableComparison[] = [];
  for (let i = 0; i < live.readModels.length; i++) tables.push(await compareTables(db, live.readModels[i]!, scratch.readModels[i]!));
  // The same events parked for the same reasons (who parked them and when differ by nature).
  const parkedColumns = (table: string) => `(SELECT stream, revision, event_id, type, error FROM ${table}) p`;
  tables.push({ ...(await compareTables(db, parkedColumns(live.parked), parkedColumns(scratch.parked))), table: 'parked_events' });
  const parkedCounts = { live: await new PgParkedEvents(db, live.schema).count(), replay: await parked.count() };
  const liveAt = await new PgCheckpointStore(db, live.schema).load(LIVE_SUBSCRIPTION);
  if (!options.keepScratch) await db.query(`DROP SCHEMA IF EXISTS "${scratch.schema}" CASCADE`);
  return {
    events,
    seconds,
    eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : events,
    scratchSchema: scratch.schema,
    replayedTo: last,
    liveAt,
    equal: tables.every((t) => t.onlyInLive === 0 && t.onlyInReplay === 0),
    tables,
    parked: parkedCounts,
  };
}

async function compareTables(db: DataSource, live: string, replay: string): Promise<TableComparison> {
  const count = async (sql: string) => Number(((await db.query(sql)) as { n: string }[])[0]!.n);
  return {
    table: live.replace(/^"[^"]+"\./, ''),
    liveRows: await count(`SELECT count(*) AS n FROM ${live}`),
    replayRows: await count(`SELECT count(*) AS n FROM ${replay}`),
    onlyInLive: await count(`SELECT count(*) AS n FROM (SELECT * FROM ${live} EXCEPT ALL SELECT * FROM ${replay}) d`),
    onlyInReplay: await count(`SELECT count(*) AS n FROM (SELECT * FROM ${replay} EXCEPT ALL SELECT * FROM ${live}) d`),
  };
}

export function formatReplayReport(report: ReplayReport): string {
  const pos = (p: LogPosition | null) => (p ? `${p.commit}` : 'start');
  const lines = [
    `replayed ${report.events} events in ${report.seconds.toFixed(2)} s (${report.eventsPerSecond} events/s) into schema ${report.scratchSchema}`,
    `replay reached position ${pos(report.replayedTo)}; live projection checkpoint at ${pos(report.liveAt)}`,
    '',
    `${'table'.padEnd(16)} ${'live'.padStart(8)} ${'replay'.padStart(8)} ${'only live'.padStart(10)} ${'only replay'.padStart(12)}`,
    ...report.tables.map(
      (t) =>
        `${t.table.padEnd(16)} ${String(t.liveRows).padStart(8)} ${String(t.replayRows).padStart(8)} ${String(t.onlyInLive).padStart(10)} ${String(t.onlyInReplay).padStart(12)}`,
    ),
    '',
    `parked events (the read models refused them; GET /v1/audit/parked): live ${report.parked.live}, replay ${report.parked.replay}`,
    report.equal ? 'EQUAL: the replay matches the live projection' : 'DIFFERENT: the replay does not match the live projection',
  ];
  return lines.join('\n');
}
