import type { AccessRequestCommand, AccessRequestState } from '@kairos/access-request-domain';

/**
 * The request streams, the only place a request changes: read, fold, decide, append at the
 * revision read (the EventStoreDB adapter implements it). A decider refusal comes out as the
 * domain's AccessRequestError; an event the decider got wrong as InvalidEventError.
 */
export interface RequestStreams {
  execute(
    requestId: string,
    command: AccessRequestCommand,
    options?: { causationId?: string },
  ): Promise<{ readonly state: AccessRequestState; readonly events: readonly unknown[] }>;
  load(requestId: string): Promise<{ readonly state: AccessRequestState; readonly revision: bigint | 'no_stream' }>;
}

/** The correlation id of the call or message being handled, if it carries one. */
export interface CorrelationIds {
  current(): string | undefined;
}
