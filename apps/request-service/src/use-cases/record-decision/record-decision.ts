import type { InternalMessage } from '@kairos/contracts';
import { commandFromMessage, isAccessRequestError } from '@kairos/access-request-domain';
import type { Clock } from '@kairos/clock';
import { refuse } from '@kairos/refusal';
import type { RequestStreams } from '../../domain/ports';

/** A message another service sent about a request: a review, a provisioning result, a timer. */
export interface DecisionMessage {
  /** The message id: the recorded events' ids derive from it, so recording it twice changes nothing. */
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly correlationId?: string;
}

const SYSTEM_ACTOR = { id: 'system:request-service', roles: ['system'] } as const;

/**
 * Records what the other services decided (reviews, provisioning results, timers) on the request's
 * stream, as the system. `changed` is false when the message changed nothing (late, or already
 * recorded). A message the decider refuses for good (e.g. a review the snapshot does not allow) is
 * refused with the decider's code: retrying cannot help. Anything else is thrown as it is: an
 * InvalidEventError (the decider produced an event its schema refuses; the message cannot be
 * recorded either) or a failing dependency (the event store restarting, say: worth retrying).
 */
export class RecordDecision {
  constructor(
    private readonly streams: RequestStreams,
    private readonly clock: Clock,
  ) {}

  async execute(received: DecisionMessage): Promise<{ changed: boolean }> {
    const message = { type: received.type, data: received.data } as InternalMessage;
    const command = commandFromMessage(message, { now: this.clock.now().toISOString(), actor: SYSTEM_ACTOR, correlationId: received.correlationId });
    try {
      const result = await this.streams.execute(message.data.requestId, command, { causationId: received.id });
      return { changed: result.events.length > 0 };
    } catch (error) {
      if (isAccessRequestError(error)) throw refuse.unprocessable(error.code, error.message);
      throw error;
    }
  }
}
