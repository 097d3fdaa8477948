import type { EventStoreDBClient } from '@eventstore/db-client';
import { accessRequestStreamName, readRecordedEvent } from '@kairos/contracts';
import { loadAggregate, type DomainEvent } from '@kairos/event-store';
import { PoisonMessageError } from '@kairos/messaging';
import { askedForByStream, isAsked, type Asked } from '../../domain/asked-for';
import type { RequestEvent, RequestStream } from '../../use-cases/record-requested-job/ports';

/** EventStoreDB could not be read: not the message's fault, so it is retried, never dead-lettered. */
export class RequestStreamUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the request stream could not be read: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'RequestStreamUnavailableError';
  }
}

export interface SecurityLog {
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Defence in depth behind message signatures: before a grant or revocation is recorded as a job,
 * one read of the request's stream confirms the request really asks for it.
 */
export class RequestedOnStream implements RequestStream {
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly log: SecurityLog,
  ) {}

  async confirm(message: RequestEvent): Promise<void> {
    const asked = { type: message.type, data: message.data } as Asked;
    if (!isAsked(asked)) return;
    let recorded: readonly Asked[];
    try {
      const loaded = await loadAggregate<Asked[], DomainEvent>(
        this.client,
        accessRequestStreamName(asked.data.requestId),
        (found, event) => {
          if (!isAsked(event)) return found;
          try {
            return [...found, readRecordedEvent(event) as unknown as Asked];
          } catch {
            return found; // unreadable: it cannot vouch for anything
          }
        },
        [],
      );
      recorded = loaded.state;
    } catch (error) {
      throw new RequestStreamUnavailableError(error);
    }
    const verdict = askedForByStream(asked, recorded);
    if (verdict.ok) return;
    this.log.error('security alarm: refused a grant or revocation its request never asked for', {
      alarm: 'request_stream_mismatch',
      type: message.type,
      id: message.id,
      requestId: asked.data.requestId,
      grantId: asked.data.grantId,
      reason: verdict.reason,
    });
    throw new PoisonMessageError(`not asked for by the request stream: ${verdict.reason}`);
  }
}
