import type { AccessRequestView } from '@kairos/access-request-domain';

export interface HistoryEntry {
  readonly eventId: string;
  readonly revision: number;
  readonly type: string;
  readonly recordedAt: string;
  readonly data: unknown;
}

/** The PostgreSQL read model of requests: never replays streams. */
export interface RequestReadModel {
  find(requestId: string): Promise<{ view: AccessRequestView; revision: bigint } | undefined>;
  history(requestId: string): Promise<HistoryEntry[]>;
}

/** How far the projection that writes the read model got with one request. */
export interface ReadModelProgress {
  /** Whether an event of the request was parked: its view may never appear. */
  isParked(requestId: string): Promise<boolean>;
  /** Resolves once the read model has seen `revision` of the request, or after a short wait. */
  waitFor(requestId: string, revision: bigint): Promise<void>;
}
