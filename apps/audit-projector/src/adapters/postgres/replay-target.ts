import { describeFailure, PgCheckpointStore, PgParkedEvents, type CategoryEvent } from '@kairos/event-store';
import { databaseAnswers, isTransientDatabaseError } from '@kairos/persistence';
import type { DataSource } from 'typeorm';
import type { RecordedEvent } from '../../domain/recorded-event';
import type { ReplayComparison, ReplayTarget, TableComparison } from '../../use-cases/replay/replay';
import { LIVE_SUBSCRIPTION } from '../eventstore/projection-runner';
import { AuditTables } from './audit-schema';
import { BatchProjector, REPLAY_SUBSCRIPTION, type PreparedEvent } from './batch-projector';
import { projectEventIn } from './projection-store';

/**
 * A replay's scratch schema (`<live>_replay`), projected by a `BatchProjector`: one transaction per
 * batch, state in memory, multi-row writes; compared row by row with the live schema at the end.
 */
export class PgReplayTarget implements ReplayTarget<PreparedEvent> {
  private readonly scratch: AuditTables;
  private readonly projector: BatchProjector;
  private readonly checkpoints: PgCheckpointStore;
  private readonly parked: PgParkedEvents;

  constructor(
    private readonly db: DataSource,
    private readonly live: AuditTables,
  ) {
    this.scratch = new AuditTables(`${live.schema}_replay`);
    this.projector = new BatchProjector(this.scratch);
    this.checkpoints = new PgCheckpointStore(db, this.scratch.schema);
    this.parked = new PgParkedEvents(db, this.scratch.schema);
  }

  get name(): string {
    return this.scratch.schema;
  }

  async create(): Promise<void> {
    await this.drop();
    for (const sql of this.scratch.ddl()) await this.db.query(sql);
    // Disposable tables need no write-ahead log: a crash loses only a replay that is run again.
    for (const table of [...this.scratch.readModels, `"${this.scratch.schema}".event_store_checkpoints`])
      await this.db.query(`ALTER TABLE ${table} SET UNLOGGED`);
  }

  prepare(event: RecordedEvent): PreparedEvent {
    return this.projector.prepare(event as CategoryEvent);
  }

  async writeBatch(batch: readonly PreparedEvent[]): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await this.projector.project(tx, batch);
        await this.checkpoints.save(tx, REPLAY_SUBSCRIPTION, batch[batch.length - 1]!.event.position);
      });
    } catch (error) {
      // The cache no longer matches the tables the rolled-back batch left.
      this.projector.clear();
      throw error;
    }
  }

  async writeOne(event: RecordedEvent): Promise<void> {
    await this.db.transaction(async (tx) => {
      await projectEventIn(tx, this.scratch, event, REPLAY_SUBSCRIPTION);
      await this.checkpoints.save(tx, REPLAY_SUBSCRIPTION, event.position);
    });
  }

  async park(event: RecordedEvent, error: unknown): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.parked.park(tx, REPLAY_SUBSCRIPTION, event as CategoryEvent, error, 1);
      await this.checkpoints.save(tx, REPLAY_SUBSCRIPTION, event.position);
    });
    process.stderr.write(`replay parked ${event.streamId}@${event.revision}: ${describeFailure(error)}\n`);
  }

  async isOutage(error: unknown): Promise<boolean> {
    return isTransientDatabaseError(error) || !(await databaseAnswers(this.db));
  }

  async compare(): Promise<ReplayComparison> {
    const { db, live, scratch } = this;
    const tables: TableComparison[] = [];
    for (let i = 0; i < live.readModels.length; i++) tables.push(await compareTables(db, live.readModels[i]!, scratch.readModels[i]!));
    // The same events parked for the same reasons (who parked them and when differ by nature).
    const parkedColumns = (table: string) => `(SELECT stream, revision, event_id, type, error FROM ${table}) p`;
    tables.push({ ...(await compareTables(db, parkedColumns(live.parked), parkedColumns(scratch.parked))), table: 'parked_events' });
    const parked = { live: await new PgParkedEvents(db, live.schema).count(), replay: await this.parked.count() };
    const liveAt = await new PgCheckpointStore(db, live.schema).load(LIVE_SUBSCRIPTION);
    return { tables, parked, liveAt };
  }

  async drop(): Promise<void> {
    await this.db.query(`DROP SCHEMA IF EXISTS "${this.scratch.schema}" CASCADE`);
  }
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
