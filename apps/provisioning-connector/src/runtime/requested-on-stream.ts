import type { EventStoreDBClient } from '@eventstore/db-client';
import { accessRequestStreamName, readRecordedEvent, type GrantRequested, type RevocationRequested } from '@kairos/contracts';
import { loadAggregate, type DomainEvent } from '@kairos/event-store';
import { PoisonMessageError, type ReceivedMessage } from '@kairos/messaging';

type Asked = { readonly type: 'GrantRequested'; readonly data: GrantRequested['data'] } | { readonly type: 'RevocationRequested'; readonly data: RevocationRequested['data'] };

const isAsked = (event: { type: string }): event is Asked => event.type === 'GrantRequested' || event.type === 'RevocationRequested';

/** What must be identical between the message and the event the request's own stream recorded. */
const essentials = (data: Asked['data']) =>
  JSON.stringify([data.requestId, data.itemId, data.grantId, data.subject.id, data.subject.kind, data.resourceId, data.role, data.target.connector, data.target.target]);

export type StreamVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Does the request's stream ask for exactly this? The stream is written only by the request
 * service, after its decider checked the request, its approvals and its expiry; a grant it does
 * not hold was never decided, whoever signed the message.
 */
export function askedForByStream(message: Asked, recorded: readonly Asked[]): StreamVerdict {
  const sameGrant = recorded.filter((event) => event.type === message.type && event.data.grantId === message.data.grantId);
  if (sameGrant.length === 0) {
    return recorded.length === 0 && message.type === 'GrantRequested'
      ? { ok: false, reason: `request ${message.data.requestId} has no GrantRequested on its stream` }
      : { ok: false, reason: `the stream of request ${message.data.requestId} holds no ${message.type} for grant ${message.data.grantId}` };
  }
  const wanted = essentials(message.data);
  if (!sameGrant.some((event) => essentials(event.data) === wanted)) {
    return { ok: false, reason: `${message.type} for grant ${message.data.grantId} differs from the stream's (subject, resource, role or target)` };
  }
  return { ok: true };
}

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
export class RequestedOnStream {
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly log: SecurityLog,
  ) {}

  async confirm(message: ReceivedMessage): Promise<void> {
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
