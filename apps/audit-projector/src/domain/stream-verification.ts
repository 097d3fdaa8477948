import { chainLink, eventDigest, GENESIS, type ChainableEvent } from './hash-chain';

/** A link of a stream's chain as the projector recorded it when it first saw the event. */
export interface RecordedLink {
  readonly revision: bigint;
  readonly eventId: string;
  readonly digest: string;
  readonly previousHash: string;
  readonly chainHash: string;
}

/** What the event store says about a stream today. */
export type ActualStream = { readonly kind: 'not_found' } | { readonly kind: 'events'; readonly events: readonly ChainableEvent[] };

export type StreamProblem =
  | { readonly kind: 'stream_missing'; readonly recordedEvents: number }
  | { readonly kind: 'truncated_start'; readonly firstRevision: string }
  | { readonly kind: 'gap'; readonly missingRevisions: readonly string[] }
  | { readonly kind: 'truncated_end'; readonly lastRevision: string | null; readonly lastRecordedRevision: string }
  | { readonly kind: 'altered'; readonly revision: string; readonly eventId: string; readonly recordedEventId: string }
  | { readonly kind: 'chain_broken'; readonly revision: string };

export interface StreamVerdict {
  readonly stream: string;
  readonly status: 'intact' | 'failed';
  readonly problems: readonly StreamProblem[];
  /** Events in the store compared with a recorded link. */
  readonly checkedEvents: number;
  /** Events in the store the projector has not recorded yet (not a failure: it may be catching up). */
  readonly unseenEvents: number;
}

const MAX_LISTED_GAPS = 50;

/**
 * Compares a stream as the projector first saw it (its recorded chain) with the stream as the store
 * serves it now. Pure: both sides are passed in.
 */
export function verifyStream(stream: string, recorded: readonly RecordedLink[], actual: ActualStream): StreamVerdict {
  const problems: StreamProblem[] = [...brokenLinks(recorded)];
  if (actual.kind === 'not_found') {
    if (recorded.length > 0) problems.push({ kind: 'stream_missing', recordedEvents: recorded.length });
    return verdict(stream, problems, 0, 0);
  }
  const events = [...actual.events].sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
  const byRevision = new Map(events.map((e) => [e.revision, e]));
  const first = events[0];
  const last = events[events.length - 1];
  if (first && first.revision > 0n) problems.push({ kind: 'truncated_start', firstRevision: first.revision.toString() });
  const missing: string[] = [];
  for (let i = 1; i < events.length && missing.length < MAX_LISTED_GAPS; i++) {
    for (let r = events[i - 1]!.revision + 1n; r < events[i]!.revision && missing.length < MAX_LISTED_GAPS; r++) missing.push(r.toString());
  }
  if (missing.length > 0) problems.push({ kind: 'gap', missingRevisions: missing });
  const lastRecorded = recorded[recorded.length - 1];
  if (lastRecorded && (!last || lastRecorded.revision > last.revision)) {
    problems.push({ kind: 'truncated_end', lastRevision: last ? last.revision.toString() : null, lastRecordedRevision: lastRecorded.revision.toString() });
  }
  let checked = 0;
  const seen = new Set<bigint>();
  for (const link of recorded) {
    seen.add(link.revision);
    const event = byRevision.get(link.revision);
    if (!event) continue;
    checked++;
    if (eventDigest(event) !== link.digest) {
      problems.push({ kind: 'altered', revision: link.revision.toString(), eventId: event.id, recordedEventId: link.eventId });
    }
  }
  const unseen = events.filter((e) => !seen.has(e.revision)).length;
  return verdict(stream, problems, checked, unseen);
}

/** The recorded chain must recompute from its own digests; otherwise the projector's copy was edited. */
function brokenLinks(recorded: readonly RecordedLink[]): StreamProblem[] {
  let previous = GENESIS;
  for (const link of recorded) {
    if (link.previousHash !== previous || chainLink(previous, link.digest) !== link.chainHash) {
      return [{ kind: 'chain_broken', revision: link.revision.toString() }];
    }
    previous = link.chainHash;
  }
  return [];
}

function verdict(stream: string, problems: StreamProblem[], checkedEvents: number, unseenEvents: number): StreamVerdict {
  return { stream, status: problems.length === 0 ? 'intact' : 'failed', problems, checkedEvents, unseenEvents };
}

export function describeProblem(problem: StreamProblem): string {
  switch (problem.kind) {
    case 'stream_missing':
      return `the stream is gone from the event store (${problem.recordedEvents} events were recorded)`;
    case 'truncated_start':
      return `events before revision ${problem.firstRevision} are missing`;
    case 'gap':
      return `revision(s) ${problem.missingRevisions.join(', ')} are missing`;
    case 'truncated_end':
      return `the stream ends at ${problem.lastRevision ?? 'nothing'} but revision ${problem.lastRecordedRevision} was recorded`;
    case 'altered':
      return `revision ${problem.revision} (event ${problem.eventId}) differs from what was recorded (event ${problem.recordedEventId})`;
    case 'chain_broken':
      return `the recorded hash chain does not recompute at revision ${problem.revision} (the projector's copy was edited)`;
    default: {
      const exhaustive: never = problem;
      return exhaustive;
    }
  }
}
