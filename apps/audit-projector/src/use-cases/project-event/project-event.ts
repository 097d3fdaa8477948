import type { AccessRequestEvent } from '@kairos/contracts';
import { classifyEvent, type Classified } from '../../domain/classify-event';
import { chainLink, eventDigest, GENESIS } from '../../domain/hash-chain';
import type { RecordedEvent } from '../../domain/recorded-event';

/** An event's timeline entry: how it was understood and its link of its stream's hash chain. */
export interface TimelineRecord {
  readonly event: RecordedEvent;
  readonly classified: Classified;
  readonly digest: string;
  readonly previousHash: string;
  readonly chainHash: string;
}

/**
 * The audit trail as one event's projection sees it, bound to the transaction of its run (the
 * postgres adapter implements it: PgProjectionStore).
 */
export interface ProjectionStore {
  /** The chain hash of the stream's last recorded event before `revision`; null when there is none. */
  previousChainHash(stream: string, revision: bigint): Promise<string | null>;
  /** Records the timeline entry; false when the event was already recorded (nothing written). */
  recordTimeline(entry: TimelineRecord): Promise<boolean>;
  /**
   * Applies a valid event's changes to the read models, all or none. A refusal for the data's sake
   * is returned (nothing applied); an outage of the store is thrown.
   */
  applyToReadModels(event: AccessRequestEvent): Promise<{ readonly applied: true } | { readonly applied: false; readonly error: unknown }>;
  /** The read models refused the event: its timeline entry becomes malformed, and the event is parked. */
  parkRefused(event: RecordedEvent, error: unknown): Promise<void>;
}

/**
 * Records one event: its timeline entry with the next link of its stream's hash chain, then its effect
 * on the read models. Never refuses an event: unknown and malformed ones are recorded as such.
 * Returns false when the event was already recorded (a redelivery changes nothing), 'parked' when
 * the read models refused it.
 */
export async function projectEvent(store: ProjectionStore, event: RecordedEvent): Promise<boolean | 'parked'> {
  const previousHash = (await store.previousChainHash(event.streamId, event.revision)) ?? GENESIS;
  const digest = eventDigest(event);
  const classified = classifyEvent(event.type, event.data, event.metadata);
  const recorded = await store.recordTimeline({ event, classified, digest, previousHash, chainHash: chainLink(previousHash, digest) });
  if (!recorded) return false;
  if (classified.status !== 'recorded') return true;
  // A valid event the read models still cannot take (say, a date PostgreSQL refuses) stays in the
  // timeline, marked malformed, and is parked, rather than stopping the projection. A database
  // outage is not the event's fault: the store throws it, which fails the transaction, retried.
  const outcome = await store.applyToReadModels(classified.event);
  if (outcome.applied) return true;
  await store.parkRefused(event, outcome.error);
  return 'parked';
}
