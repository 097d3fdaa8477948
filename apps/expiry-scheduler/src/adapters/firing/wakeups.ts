import { Injectable } from '@nestjs/common';

/**
 * Due times scheduled by request events, held until their inbox transaction committed (only then
 * can the firing loop see the new timers), then handed to whoever wakes on them (the firing loop).
 */
@Injectable()
export class TimerWakeups {
  private pending: Date[] = [];
  private readonly listeners: ((dueAt: Date) => void)[] = [];

  /** Scheduled inside a transaction that has not committed yet. */
  scheduled(dueAts: readonly Date[]): void {
    this.pending.push(...dueAts);
  }

  /** The inbox transaction committed (or the message was a duplicate or dead-lettered): pass the due times on. */
  committed(): void {
    const due = this.pending;
    this.pending = [];
    for (const dueAt of due) for (const listener of this.listeners) listener(dueAt);
  }

  onScheduled(listener: (dueAt: Date) => void): void {
    this.listeners.push(listener);
  }
}
