import { ReadReq } from '@eventstore/db-client/generated/streams_pb';
import type { AllStart, StreamStart } from '../storage/event-store';
import { invalidArgument } from './protocol-error';
import { parseU64, streamName } from './wire';

export type EventFilter = {
  readonly on: 'stream' | 'type';
  readonly matches: (value: string) => boolean;
  readonly checkpointInterval: number;
};

export type ReadRequest =
  | {
      readonly source: 'stream';
      readonly stream: string;
      readonly from: StreamStart;
      readonly backwards: boolean;
      readonly count: number;
      readonly resolveLinks: boolean;
      readonly subscribe: boolean;
    }
  | {
      readonly source: 'all';
      readonly from: AllStart;
      readonly backwards: boolean;
      readonly count: number;
      readonly resolveLinks: boolean;
      readonly subscribe: boolean;
      readonly filter: EventFilter | null;
    };

const CHECKPOINT_WINDOW_FOR_COUNT = 32;

export function parseReadRequest(request: ReadReq): ReadRequest {
  const options = request.getOptions();
  if (!options) throw invalidArgument('read options are required');
  const subscribe = options.hasSubscription();
  const count = subscribe ? Number.MAX_SAFE_INTEGER : clampCount(options.hasCount() ? options.getCount() : undefined);
  const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
  if (subscribe && backwards) throw invalidArgument('subscriptions read forwards');
  const resolveLinks = options.getResolveLinks();
  if (options.hasStream()) {
    const s = options.getStream()!;
    const from: StreamStart = s.hasRevision()
      ? { kind: 'revision', revision: parseU64(s.getRevision(), 'revision') }
      : s.hasEnd()
        ? { kind: 'end' }
        : { kind: 'start' };
    return { source: 'stream', stream: streamName(s.getStreamIdentifier()), from, backwards, count, resolveLinks, subscribe };
  }
  if (options.hasAll()) {
    const a = options.getAll()!;
    let from: AllStart = { kind: 'start' };
    if (a.hasPosition()) {
      const p = a.getPosition()!;
      const commit = parseU64(p.getCommitPosition(), 'commit position');
      const prepare = parseU64(p.getPreparePosition(), 'prepare position');
      if (commit < prepare) throw invalidArgument('commit position is before prepare position');
      from = { kind: 'position', position: commit };
    } else if (a.hasEnd()) from = { kind: 'end' };
    const filter = options.hasFilter() ? parseFilter(options.getFilter()!) : null;
    return { source: 'all', from, backwards, count, resolveLinks, subscribe, filter };
  }
  throw invalidArgument('read needs a stream or $all');
}

function clampCount(text: string | undefined): number {
  if (text === undefined) return Number.MAX_SAFE_INTEGER;
  const value = parseU64(text, 'count');
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

function parseFilter(filter: ReadReq.Options.FilterOptions): EventFilter {
  const on = filter.hasStreamIdentifier() ? 'stream' : filter.hasEventType() ? 'type' : null;
  if (!on) throw invalidArgument('filter needs a stream or event type expression');
  const expression = on === 'stream' ? filter.getStreamIdentifier()! : filter.getEventType()!;
  const window = filter.hasMax() ? filter.getMax() : CHECKPOINT_WINDOW_FOR_COUNT;
  const multiplier = filter.getCheckpointintervalmultiplier() || 1;
  if (window <= 0) throw invalidArgument('checkpoint window must be positive');
  const checkpointInterval = Math.min(window * multiplier, 2 ** 31);
  const regex = expression.getRegex();
  if (regex) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(regex);
    } catch {
      throw invalidArgument('filter regex is invalid');
    }
    return { on, matches: (value) => pattern.test(value), checkpointInterval };
  }
  const prefixes = expression.getPrefixList();
  return { on, matches: (value) => prefixes.some((prefix) => value.startsWith(prefix)), checkpointInterval };
}
