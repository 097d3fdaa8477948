import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { eventMetadataFor } from '@kairos/contracts';
import type { RequestScenario } from '@kairos/access-request-domain/testing';

/** Appends a scenario's events one per write (as the decider mostly does), so each is its own commit in the log. */
export async function appendScenario(client: EventStoreDBClient, scenario: RequestScenario, from = 0): Promise<void> {
  for (const event of scenario.events.slice(from)) {
    await client.appendToStream(scenario.stream, jsonEvent({ type: event.type, data: event.data as never, metadata: eventMetadataFor(event.type) }));
  }
}

/** Appends raw events (for shapes the contracts refuse). */
export async function appendRaw(client: EventStoreDBClient, stream: string, type: string, data: Record<string, unknown>): Promise<void> {
  await client.appendToStream(stream, jsonEvent({ type, data: data as never }));
}
