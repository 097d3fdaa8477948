import { chainLink, eventDigest, GENESIS, type ChainableEvent } from './hash-chain';
import { describeProblem, verifyStream, type RecordedLink } from './stream-verification';

const events: ChainableEvent[] = [0, 1, 2, 3].map((r) => ({ id: `id-${r}`, type: 'T', revision: BigInt(r), data: { r }, metadata: null }));

function chain(list: readonly ChainableEvent[]): RecordedLink[] {
  let previous = GENESIS;
  return list.map((e) => {
    const digest = eventDigest(e);
    const link = { revision: e.revision, eventId: e.id, digest, previousHash: previous, chainHash: chainLink(previous, digest) };
    previous = link.chainHash;
    return link;
  });
}

describe('verifying a stream against its recorded chain', () => {
  const recorded = chain(events);

  it('passes a stream identical to what was recorded', () => {
    expect(verifyStream('s', recorded, { kind: 'events', events })).toMatchObject({ status: 'intact', problems: [], checkedEvents: 4, unseenEvents: 0 });
  });

  it('does not fail on events the projector has not seen yet', () => {
    expect(verifyStream('s', recorded.slice(0, 2), { kind: 'events', events })).toMatchObject({ status: 'intact', unseenEvents: 2 });
  });

  it('reports an event whose data changed', () => {
    const tampered = events.map((e) => (e.revision === 2n ? { ...e, data: { r: 99 } } : e));
    expect(verifyStream('s', recorded, { kind: 'events', events: tampered }).problems).toEqual([{ kind: 'altered', revision: '2', eventId: 'id-2', recordedEventId: 'id-2' }]);
  });

  it('reports a missing revision in the middle', () => {
    expect(verifyStream('s', recorded, { kind: 'events', events: events.filter((e) => e.revision !== 1n) }).problems).toEqual([{ kind: 'gap', missingRevisions: ['1'] }]);
  });

  it('reports a stream cut at either end', () => {
    expect(verifyStream('s', recorded, { kind: 'events', events: events.slice(0, 2) }).problems).toEqual([{ kind: 'truncated_end', lastRevision: '1', lastRecordedRevision: '3' }]);
    expect(verifyStream('s', recorded, { kind: 'events', events: events.slice(1) }).problems).toEqual([{ kind: 'truncated_start', firstRevision: '1' }]);
  });

  it('reports a stream that disappeared', () => {
    expect(verifyStream('s', recorded, { kind: 'not_found' }).problems).toEqual([{ kind: 'stream_missing', recordedEvents: 4 }]);
  });

  it('reports an edit of the recorded chain itself', () => {
    const edited = recorded.map((l) => (l.revision === 1n ? { ...l, digest: eventDigest({ ...events[1]!, data: { r: 7 } }) } : l));
    const problems = verifyStream('s', edited, { kind: 'events', events }).problems;
    expect(problems[0]).toEqual({ kind: 'chain_broken', revision: '1' });
    expect(describeProblem(problems[0]!)).toMatch(/projector's copy/);
  });
});
