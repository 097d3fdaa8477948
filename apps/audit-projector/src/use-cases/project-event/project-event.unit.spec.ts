import type { AccessRequestEvent } from '@kairos/contracts';
import { RequestScenario } from '@kairos/access-request-domain/testing';
import { chainLink, eventDigest, GENESIS } from '../../domain/hash-chain';
import type { RecordedEvent } from '../../domain/recorded-event';
import { projectEvent, type ProjectionStore, type TimelineRecord } from './project-event';

/** The audit schema in memory: the timeline by stream, the events applied, the events parked. */
class MemoryStore implements ProjectionStore {
  readonly timeline = new Map<string, TimelineRecord>();
  readonly applied: AccessRequestEvent[] = [];
  readonly parked: { event: RecordedEvent; error: unknown }[] = [];
  refuse?: (event: AccessRequestEvent) => unknown;
  outage?: Error;

  async previousChainHash(stream: string, revision: bigint): Promise<string | null> {
    const before = [...this.timeline.values()].filter((e) => e.event.streamId === stream && e.event.revision < revision);
    before.sort((a, b) => Number(a.event.revision - b.event.revision));
    return before.at(-1)?.chainHash ?? null;
  }
  async recordTimeline(entry: TimelineRecord): Promise<boolean> {
    const key = `${entry.event.streamId}@${entry.event.revision}`;
    if (this.timeline.has(key)) return false;
    this.timeline.set(key, entry);
    return true;
  }
  async applyToReadModels(event: AccessRequestEvent): Promise<{ applied: true } | { applied: false; error: unknown }> {
    if (this.outage) throw this.outage;
    const error = this.refuse?.(event);
    if (error) return { applied: false, error };
    this.applied.push(event);
    return { applied: true };
  }
  async parkRefused(event: RecordedEvent, error: unknown): Promise<void> {
    this.parked.push({ event, error });
  }
}

const scenario = RequestScenario.create({ id: 'u-alice', kind: 'person' }, 'db-prod', 'read').requested(0, { automatic: true }).granted(1);
const recorded = (revision: number, o: Partial<RecordedEvent> = {}): RecordedEvent => {
  const e = scenario.events[revision]!;
  return {
    id: `00000000-0000-4000-8000-00000000000${revision}`,
    streamId: scenario.stream,
    revision: BigInt(revision),
    type: e.type,
    data: e.data,
    metadata: undefined,
    created: new Date('2025-06-01T00:00:00.000Z'),
    position: { commit: BigInt(100 + revision), prepare: BigInt(100 + revision) },
    ...o,
  };
};

describe('project one event into the audit trail', () => {
  it("links each event to the one before it in its stream's hash chain, from the genesis link", async () => {
    const store = new MemoryStore();
    for (let revision = 0; revision < scenario.events.length; revision++) expect(await projectEvent(store, recorded(revision))).toBe(true);
    const entries = [...store.timeline.values()];
    expect(entries[0]!.previousHash).toBe(GENESIS);
    for (let i = 0; i < entries.length; i++) {
      expect(entries[i]!.digest).toBe(eventDigest(entries[i]!.event));
      expect(entries[i]!.chainHash).toBe(chainLink(entries[i]!.previousHash, entries[i]!.digest));
      if (i > 0) expect(entries[i]!.previousHash).toBe(entries[i - 1]!.chainHash);
    }
    expect(store.applied.map((e) => e.type)).toEqual(scenario.events.map((e) => e.type));
  });

  it('changes nothing for an event already recorded (a redelivery)', async () => {
    const store = new MemoryStore();
    await projectEvent(store, recorded(0));
    expect(await projectEvent(store, recorded(0))).toBe(false);
    expect(store.applied).toHaveLength(1);
  });

  it('records an unknown event type in the timeline, as unknown, without touching the read models', async () => {
    const store = new MemoryStore();
    expect(await projectEvent(store, recorded(0, { type: 'AccessStolen' }))).toBe(true);
    expect([...store.timeline.values()][0]!.classified).toMatchObject({ status: 'unknown' });
    expect(store.applied).toHaveLength(0);
  });

  it('parks an event the read models refuse, and keeps it in the timeline', async () => {
    const store = new MemoryStore();
    const refusal = new RangeError('date out of range');
    store.refuse = () => refusal;
    expect(await projectEvent(store, recorded(0))).toBe('parked');
    expect(store.timeline.size).toBe(1);
    expect(store.parked).toEqual([{ event: recorded(0), error: refusal }]);
  });

  it('lets an outage of the store through (the run is retried), parking nothing', async () => {
    const store = new MemoryStore();
    store.outage = new Error('the database system is shutting down');
    await expect(projectEvent(store, recorded(0))).rejects.toBe(store.outage);
    expect(store.parked).toHaveLength(0);
  });
});
