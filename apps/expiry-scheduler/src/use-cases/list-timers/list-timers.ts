import type { Timer, TimerStatus } from '../../domain/timer';

export interface TimerFilter {
  readonly requestId?: string;
  readonly status: TimerStatus;
  readonly limit: number;
}

/** The timers table, read. */
export interface TimerReader {
  list(filter: TimerFilter): Promise<Timer[]>;
}

/** Timers ordered by due time: the pending ones, unless another status is asked for; 100 unless a limit is given. */
export class ListTimers {
  constructor(private readonly timers: TimerReader) {}

  async execute(query: { readonly requestId?: string; readonly status?: TimerStatus; readonly limit?: number }): Promise<Timer[]> {
    return this.timers.list({ requestId: query.requestId, status: query.status ?? 'pending', limit: query.limit ?? 100 });
  }
}
