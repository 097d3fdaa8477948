import { FORWARDS, START, type EventStoreDBClient, type JSONType } from '@eventstore/db-client';
import { ACCESS_REQUEST_STREAM_PREFIX } from '@kairos/contracts';
import { PgCheckpointStore, type CategoryEvent, type LogPosition } from '@kairos/event-store';
import type { DataSource } from 'typeorm';
import { AuditTables } from '../projection/audit-schema';
import { projectEvent } from '../projection/project-event';
import { LIVE_SUBSCRIPTION } from '../projection/projection-runner';

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
}

const BATCH = 500;

/**
 * Rebuilds every read model from the first event into a scratch schema, with the same code as the
 * live projection, then compares the two row by row. The live schema is never written.
 */
export async function replayAndCompare(options: {
  readonly client: EventStoreDBClient;
  readonly db: DataSource;
  readonly live: AuditTables;
  readonly keepScratch?: boolean;
  readonly elapsedSeconds?: () => number;
}): Promise<ReplayReport> {
  const { client, db, live } = options;
  const scratch = new AuditTables(`${live.schema}_replay`);
  const started = process.hrtime.bigint();
  const elapsed = options.elapsedSeconds ?? (() => Number(process.hrtime.bigint() - started) / 1e9);
  await db.query(`DROP SCHEMA IF EXISTS "${scratch.schema}" CASCADE`);
  for (const sql of scratch.ddl()) await db.query(sql);
  const checkpoints = new PgCheckpointStore(db, scratch.schema);

  let events = 0;
  let last: LogPosition | null = null;
  let batch: CategoryEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const toWrite = batch;
    batch = [];
    await db.transaction(async (tx) => {
      for (const event of toWrite) await projectEvent(tx, scratch, event);
      await checkpoints.save(tx, 'audit-replay', toWrite[toWrite.length - 1]!.position);
    });
  };
  for await (const resolved of client.readAll({ fromPosition: START, direction: FORWARDS })) {
    const e = resolved.event;
    if (!e || !e.isJson || !e.position || !e.streamId.startsWith(ACCESS_REQUEST_STREAM_PREFIX)) continue;
    batch.push({
      id: e.id,
      streamId: e.streamId,
      revision: e.revision,
      type: e.type,
      data: e.data as JSONType,
      metadata: e.metadata as JSONType | undefined,
      created: e.created,
      position: e.position,
    });
    last = e.position;
    events++;
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  const seconds = elapsed();

  const tables: TableComparison[] = [];
  for (let i = 0; i < live.readModels.length; i++) tables.push(await compareTables(db, live.readModels[i]!, scratch.readModels[i]!));
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
      (t) => `${t.table.padEnd(16)} ${String(t.liveRows).padStart(8)} ${String(t.replayRows).padStart(8)} ${String(t.onlyInLive).padStart(10)} ${String(t.onlyInReplay).padStart(12)}`,
    ),
    '',
    report.equal ? 'EQUAL: the replay matches the live projection' : 'DIFFERENT: the replay does not match the live projection',
  ];
  return lines.join('\n');
}
