import { Inject, Injectable } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { currentSchemaVersion, formatValidationErrors, readRecordedEvent, validateEvent, type AccessRequestEvent, accessRequestStreamName, requestIdOfStream } from '@kairos/contracts';
import { accessRequestDecider, type AccessRequestCommand, type AccessRequestState } from '@kairos/access-request-domain';
import { currentCorrelationId } from '@kairos/observability';
import { handleCommand, loadAggregate, type CommandResult, type Decider } from '@kairos/event-store';
import { InvalidEventError } from '../../domain/invalid-event.error';
import type { RequestStreams } from '../../domain/ports';
import { uuidFromName } from './deterministic-uuid';

// The stream name is defined once, in the contracts.
export const streamName = accessRequestStreamName;
export const requestIdOf = requestIdOfStream;

// The stream is the audit trail: an event that breaks its published schema is refused before it
// is written, never discovered later by a downstream consumer.
const checkedDecider: Decider<AccessRequestCommand, AccessRequestState, AccessRequestEvent> = {
  initialState: accessRequestDecider.initialState,
  evolve: (state, event) => accessRequestDecider.evolve(state, event),
  decide: (command, state) => {
    const events = accessRequestDecider.decide(command, state);
    for (const event of events) {
      const result = validateEvent(event.type, event.data, { closed: true });
      if (!result.ok) throw new InvalidEventError(event.type, formatValidationErrors(result.errors));
    }
    return events;
  },
};

/** The only writer of request streams: read, fold, decide, append at the revision read. */
@Injectable()
export class AccessRequestStore implements RequestStreams {
  constructor(@Inject(EventStoreDBClient) private readonly client: EventStoreDBClient) {}

  async execute(
    requestId: string,
    command: AccessRequestCommand,
    options: { causationId?: string } = {},
  ): Promise<CommandResult<AccessRequestState, AccessRequestEvent>> {
    const causation = options.causationId;
    const metadata = {
      correlationId: currentCorrelationId() ?? null,
      causationId: causation ?? null,
      actorId: command.metadata.actor.id,
    };
    return handleCommand<AccessRequestCommand, AccessRequestState, AccessRequestEvent>({
      client: this.client,
      stream: streamName(requestId),
      decider: { ...checkedDecider, decide: (c, s) => checkedDecider.decide(c, s).map((e) => ({ ...e, metadata })) },
      command,
      maxRetries: 8,
      eventId: causation ? (_event, index) => uuidFromName(`${causation}:${index}`) : undefined,
      // Each event records its schema version; older ones are upcast before the fold.
      schemaVersionOf: currentSchemaVersion,
      read: readRecordedEvent,
    });
  }

  async load(requestId: string): Promise<{ state: AccessRequestState; revision: bigint | 'no_stream' }> {
    const { state, revision } = await loadAggregate(
      this.client,
      streamName(requestId),
      accessRequestDecider.evolve,
      accessRequestDecider.initialState(),
      readRecordedEvent,
    );
    return { state, revision };
  }
}
