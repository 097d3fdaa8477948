import type { ChainableEvent } from './hash-chain';

/** A place in the event store's log (`$all`): commit, then prepare. */
export interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** One event of a request stream as the store recorded it: what the projector, a replay and verify read. */
export interface RecordedEvent extends ChainableEvent {
  readonly streamId: string;
  readonly created: Date;
  readonly position: LogPosition;
}
