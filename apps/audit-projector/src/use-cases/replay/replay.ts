import type { LogPosition, RecordedEvent } from '../../domain/recorded-event';

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

/** One page of the log, the request streams' events kept. */
export interface EventPage {
  readonly events: readonly RecordedEvent[];
  /** Where the next page starts; null once the log has been read to its end. */
  readonly next: LogPosition | null;
}

/** The event store's log read from the first event (the eventstore adapter: EventStoreEventLog). */
export interface EventLog {
  /** The page after `from` (exclusive), or the first page. */
  readPage(from: LogPosition | null): Promise<EventPage>;
}

/** What a replay compares at its end: the scratch read models against the live ones. */
export interface ReplayComparison {
  readonly tables: readonly TableComparison[];
  readonly parked: { readonly live: number; readonly replay: number };
  /** The live projection's checkpoint. */
  readonly liveAt: LogPosition | null;
}

/**
 * A scratch copy of the read models a replay writes (the postgres adapter: PgReplayTarget), never
 * the live ones. `Prepared` is what the target works out for an event ahead of writing it.
 */
export interface ReplayTarget<Prepared extends { readonly event: RecordedEvent }> {
  /** The scratch copy's name (a schema). */
  readonly name: string;
  /** Drops what an earlier replay left behind and creates the scratch copy afresh. */
  create(): Promise<void>;
  /** Everything about one event that does not depend on what came before it. */
  prepare(event: RecordedEvent): Prepared;
  /** Writes a batch and its checkpoint, all or none. */
  writeBatch(batch: readonly Prepared[]): Promise<void>;
  /** Writes one event (the project-event use case) and its checkpoint, all or none. */
  writeOne(event: RecordedEvent): Promise<void>;
  /** Parks an event that cannot be recorded at all, and moves the checkpoint past it. */
  park(event: RecordedEvent, error: unknown): Promise<void>;
  /** The failure is an outage of the store (or the store no longer answers), not the data's fault. */
  isOutage(error: unknown): Promise<boolean>;
  compare(): Promise<ReplayComparison>;
  drop(): Promise<void>;
}

/** Events per transaction of the scratch copy. */
const BATCH = 2_000;
/** Events prepared between two turns of the event loop. */
const PREPARE_SLICE = 200;

/**
 * Rebuilds every read model from the first event into a scratch copy, with the same code as the
 * live projection, then compares the two row by row. The live read models are never written.
 *
 * The log is read in pages (the next page is read while the current one is written) and written
 * in batches. A failed replay leaves only its scratch copy behind, which the next one drops.
 */
export async function replayAndCompare<Prepared extends { readonly event: RecordedEvent }>(options: {
  readonly log: EventLog;
  readonly target: ReplayTarget<Prepared>;
  readonly keepScratch?: boolean;
  readonly elapsedSeconds?: () => number;
  /** Events per transaction (tests make it small to cross its edges). */
  readonly batchSize?: number;
}): Promise<ReplayReport> {
  const { log, target } = options;
  const started = process.hrtime.bigint();
  const elapsed = options.elapsedSeconds ?? (() => Number(process.hrtime.bigint() - started) / 1e9);
  await target.create();
  const batchSize = options.batchSize ?? BATCH;

  let events = 0;
  let last: LogPosition | null = null;
  // As the live projection does: a batch that fails for the data's sake (never for an outage) is
  // written again one event at a time, and an event that still cannot be recorded is parked.
  const write = async (batch: readonly Prepared[]) => {
    try {
      await target.writeBatch(batch);
      return;
    } catch (error) {
      if (await target.isOutage(error)) throw error;
    }
    for (const { event } of batch) {
      try {
        await target.writeOne(event);
      } catch (error) {
        if (await target.isOutage(error)) throw error;
        await target.park(event, error);
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
  let pending: Prepared[] = [];
  let reading: Promise<EventPage> | null = quiet(log.readPage(null));
  while (reading) {
    const page: EventPage = await reading;
    reading = page.next ? quiet(log.readPage(page.next)) : null;
    // Prepared in slices with a turn of the event loop between them, so the next page keeps
    // arriving (the transport stops sending once its window is unread) and the write in progress
    // gets its answers while the CPU is busy here.
    for (let i = 0; i < page.events.length; i++) {
      pending.push(target.prepare(page.events[i]!));
      if (i % PREPARE_SLICE === PREPARE_SLICE - 1) await new Promise((resolve) => setImmediate(resolve));
    }
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

  const comparison = await target.compare();
  if (!options.keepScratch) await target.drop();
  return {
    events,
    seconds,
    eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : events,
    scratchSchema: target.name,
    replayedTo: last,
    liveAt: comparison.liveAt,
    equal: comparison.tables.every((t) => t.onlyInLive === 0 && t.onlyInReplay === 0),
    tables: comparison.tables,
    parked: comparison.parked,
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
