import { isAccessRequestEventType, readPublishedEvent } from '@kairos/contracts';
import { PoisonMessageError, type ReceivedMessage } from '@kairos/messaging';
import type { EntityManager } from 'typeorm';
import type { Clock } from '../shared/clock';
import { planTimers } from './plan';
import { timerRepository } from './timer.repository';

/**
 * Applies one event of access-request.events to the timers, inside the inbox transaction. Returns
 * the due times it scheduled so the firing loop can wake once the transaction committed.
 */
export async function applyRequestEvent(message: ReceivedMessage, tx: EntityManager, clock: Clock): Promise<Date[]> {
  if (!isAccessRequestEventType(message.type)) throw new PoisonMessageError(`unknown request event type ${message.type}`);
  // The consumer checked the data against the event's published schema before calling us; the one
  // reader of access-request.events brings an older version (named by ce_dataschema) to the current.
  let event;
  try {
    event = readPublishedEvent({ type: message.type, data: message.data });
  } catch (error) {
    throw new PoisonMessageError(error instanceof Error ? error.message : String(error));
  }
  const changes = planTimers(event);
  if (changes.length === 0) return [];
  await timerRepository.apply(tx, changes, clock.now(), message.correlationId);
  return changes.flatMap((change) => (change.type === 'schedule' ? [new Date(change.timer.dueAt)] : []));
}
