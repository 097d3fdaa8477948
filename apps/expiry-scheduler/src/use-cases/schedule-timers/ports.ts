import type { TimerChange } from '../../domain/plan';

/** The timers table, inside the transaction the request event is handled in. */
export interface TimerSchedule {
  apply(changes: readonly TimerChange[], at: Date, correlationId?: string): Promise<void>;
}

/** One event of access-request.events as received: its CloudEvent type, its data and its correlation id. */
export interface RequestEventMessage {
  readonly type: string;
  readonly data: unknown;
  readonly correlationId?: string;
}
