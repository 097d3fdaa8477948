import type { Clock } from '@kairos/clock';
import { verifyStream, type ActualStream, type RecordedLink, type StreamVerdict } from '../../domain/stream-verification';

export interface VerificationReport {
  readonly ok: boolean;
  readonly checkedAt: string;
  readonly streams: number;
  readonly failed: readonly StreamVerdict[];
  readonly intact: number;
  readonly checkedEvents: number;
  readonly unseenEvents: number;
  /**
   * Events the projector parked: recorded in the chain but refused by the read models, or not
   * recorded at all (then counted as unseen). Not a failure of the streams; listed by GET /v1/audit/parked.
   */
  readonly parkedEvents: number;
}

/** The hash chain the projector recorded when it first saw each event (the postgres adapter: PgRecordedChains). */
export interface RecordedChains {
  /** Every request stream's recorded links, in revision order. */
  links(): Promise<ReadonlyMap<string, readonly RecordedLink[]>>;
  /** Events the projector parked. */
  parkedCount(): Promise<number>;
}

/** The request streams as the event store holds them today (the eventstore adapter: EventStoreStreams). */
export interface StoredStreams {
  names(): Promise<ReadonlySet<string>>;
  read(stream: string): Promise<ActualStream>;
}

/**
 * Proves each request stream is complete and unaltered: the store is read again from the start and
 * compared with the hash chain the projector recorded when it first saw each event.
 */
export class VerifyStreams {
  constructor(
    private readonly chains: RecordedChains,
    private readonly streams: StoredStreams,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<VerificationReport> {
    const recorded = await this.chains.links();
    const names = new Set([...recorded.keys(), ...(await this.streams.names())]);
    const verdicts: StreamVerdict[] = [];
    for (const stream of [...names].sort()) verdicts.push(verifyStream(stream, recorded.get(stream) ?? [], await this.streams.read(stream)));
    const failed = verdicts.filter((v) => v.status === 'failed');
    return {
      ok: failed.length === 0,
      checkedAt: this.clock.now().toISOString(),
      streams: verdicts.length,
      failed,
      intact: verdicts.length - failed.length,
      checkedEvents: verdicts.reduce((n, v) => n + v.checkedEvents, 0),
      unseenEvents: verdicts.reduce((n, v) => n + v.unseenEvents, 0),
      parkedEvents: await this.chains.parkedCount(),
    };
  }
}
