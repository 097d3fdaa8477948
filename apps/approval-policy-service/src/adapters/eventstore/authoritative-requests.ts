import { Inject, Injectable } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { evolve, initialState } from '@kairos/access-request-domain';
import { accessRequestStreamName, readRecordedEvent, type AccessRequestEvent } from '@kairos/contracts';
import { loadAggregate } from '@kairos/event-store';
import { asRequest, type Request } from '../../domain/request-state';
import type { AuthoritativeRequestSource } from '../../use-cases/submit-review/ports';

/**
 * A request as its own stream says it is now. Reviews are judged against this, not the Kafka-fed
 * copy: a review that is valid against the authoritative stream is accepted even when the copy
 * has not caught up yet (read your writes), and a stale copy can never let a review through.
 */
@Injectable()
export class AuthoritativeRequests implements AuthoritativeRequestSource {
  constructor(@Inject(EventStoreDBClient) private readonly client: EventStoreDBClient) {}

  async load(requestId: string): Promise<Request | undefined> {
    const { state } = await loadAggregate<ReturnType<typeof initialState>, AccessRequestEvent>(
      this.client,
      accessRequestStreamName(requestId),
      evolve,
      initialState(),
      (recorded) => readRecordedEvent(recorded),
    );
    return asRequest(state);
  }
}
