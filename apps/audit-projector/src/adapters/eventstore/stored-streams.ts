import { FORWARDS, START, StreamDeletedError, StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import { ACCESS_REQUEST_STREAM_PREFIX } from '@kairos/contracts';
import type { ChainableEvent } from '../../domain/hash-chain';
import type { ActualStream } from '../../domain/stream-verification';
import type { StoredStreams } from '../../use-cases/verify-streams/verify-streams';

/** The request streams as the event store holds them today, read again from the start. */
export class EventStoreStreams implements StoredStreams {
  constructor(private readonly client: EventStoreDBClient) {}

  async names(): Promise<Set<string>> {
    const names = new Set<string>();
    for await (const resolved of this.client.readAll({ fromPosition: START, direction: FORWARDS })) {
      const stream = resolved.event?.streamId;
      if (stream?.startsWith(ACCESS_REQUEST_STREAM_PREFIX)) names.add(stream);
    }
    return names;
  }

  async read(stream: string): Promise<ActualStream> {
    const events: ChainableEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, { fromRevision: START, direction: FORWARDS })) {
        const e = resolved.event;
        if (!e) continue;
        events.push({ id: e.id, type: e.type, revision: e.revision, data: e.isJson ? e.data : Buffer.from(e.data as Uint8Array).toString('base64'), metadata: e.metadata });
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return { kind: 'not_found' };
      throw error;
    }
    return events.length === 0 ? { kind: 'not_found' } : { kind: 'events', events };
  }
}
