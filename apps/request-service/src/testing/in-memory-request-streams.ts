import { accessRequestDecider, type AccessRequestCommand, type AccessRequestState } from '@kairos/access-request-domain';
import type { AccessRequestEvent } from '@kairos/contracts';
import type { RequestStreams } from '../domain/ports';

/**
 * The request streams in memory, for the use cases' unit specs: the real decider folds and decides,
 * as the EventStoreDB adapter does (which the integration specs in test/ run against the project's
 * EventStoreDB server). Records what each call appended, and with which causation.
 */
export class InMemoryRequestStreams implements RequestStreams {
  private readonly streams = new Map<string, AccessRequestEvent[]>();
  readonly appended: { requestId: string; events: readonly AccessRequestEvent[]; causationId?: string }[] = [];
  /** Set to make the next call fail as a dependency would (the event store away). */
  failWith?: Error;

  constructor(initial: Record<string, readonly AccessRequestEvent[]> = {}) {
    for (const [requestId, events] of Object.entries(initial)) this.streams.set(requestId, [...events]);
  }

  async execute(requestId: string, command: AccessRequestCommand, options: { causationId?: string } = {}) {
    this.throwIfFailing();
    const stream = this.streams.get(requestId) ?? [];
    const events = accessRequestDecider.decide(command, this.fold(stream));
    if (events.length > 0) {
      this.streams.set(requestId, [...stream, ...events]);
      this.appended.push({ requestId, events, ...(options.causationId ? { causationId: options.causationId } : {}) });
    }
    return { state: this.fold([...stream, ...events]), events };
  }

  async load(requestId: string): Promise<{ state: AccessRequestState; revision: bigint | 'no_stream' }> {
    this.throwIfFailing();
    const stream = this.streams.get(requestId);
    return { state: this.fold(stream ?? []), revision: stream ? BigInt(stream.length - 1) : 'no_stream' };
  }

  events(requestId: string): readonly AccessRequestEvent[] {
    return this.streams.get(requestId) ?? [];
  }

  private fold(events: readonly AccessRequestEvent[]): AccessRequestState {
    return events.reduce(accessRequestDecider.evolve, accessRequestDecider.initialState());
  }

  private throwIfFailing(): void {
    const error = this.failWith;
    if (error) throw error;
  }
}
