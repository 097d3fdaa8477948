import { TOPICS } from '@kairos/contracts';
import { enqueueOutbox, type OutboxRelay, type OutgoingMessage } from '@kairos/messaging';
import type { DataSource } from 'typeorm';
import type { Clock } from '../shared/clock';
import { firingMessageId, sleepFor, timerFired } from './timer';
import { timerRepository, type DueTimer } from './timer.repository';

export const EXPIRY_SOURCE = 'urn:kairos:expiry-scheduler';

export interface FiringLog {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface TimerFiringOptions {
  readonly maxSleepMs: number;
  readonly batchSize: number;
  readonly onFired?: (timer: DueTimer, firedAt: Date) => void;
}

const toMessage = (timer: DueTimer, firedAt: Date): OutgoingMessage => ({
  topic: TOPICS.expiryEvents,
  key: timer.requestId,
  id: firingMessageId(timer.timerId, timer.dueAt),
  type: 'TimerFired',
  subject: timer.requestId,
  time: firedAt.toISOString(),
  source: EXPIRY_SOURCE,
  data: timerFired(timer, firedAt).data,
  ...(timer.correlationId ? { correlationId: timer.correlationId } : {}),
});

/**
 * Fires due timers: claim, write TimerFired to the outbox and mark fired in one transaction, then
 * wake the relay. Between rounds it sleeps until the next due timer (never longer than maxSleepMs),
 * and a newly scheduled timer nearer than that wakes it early.
 */
export class TimerFiring {
  private running = false;
  private loop?: Promise<void>;
  private wakeAt = Infinity;
  private wake?: () => void;
  private rescan = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly relay: Pick<OutboxRelay, 'notify'>,
    private readonly clock: Clock,
    private readonly options: TimerFiringOptions,
    private readonly log?: FiringLog,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** A timer was scheduled (after its transaction committed): look again if it is due sooner than planned. */
  scheduled(dueAt: Date): void {
    if (!this.wake) this.rescan = true;
    else if (dueAt.getTime() < this.wakeAt) this.wake();
  }

  /** Fires every timer due now, in batches; returns how many fired. */
  async fireDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const fired = await this.fireBatch();
      total += fired;
      if (fired < this.options.batchSize) return total;
    }
  }

  private async fireBatch(): Promise<number> {
    const firedAt = this.clock.now();
    const fired = await this.dataSource.transaction(async (tx) => {
      const due = await timerRepository.claimDue(tx, firedAt, this.options.batchSize);
      if (due.length === 0) return due;
      await enqueueOutbox(
        tx,
        due.map((timer) => toMessage(timer, firedAt)),
      );
      await timerRepository.markFired(
        tx,
        due.map((t) => t.timerId),
        firedAt,
      );
      return due;
    });
    if (fired.length > 0) {
      this.relay.notify();
      for (const timer of fired) this.options.onFired?.(timer, firedAt);
    }
    return fired.length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.rescan = false;
      let delay = this.options.maxSleepMs;
      try {
        await this.fireDue();
        delay = sleepFor(await timerRepository.nextDueAt(this.dataSource.manager), this.clock.now(), this.options.maxSleepMs);
      } catch (error) {
        this.log?.error('firing due timers failed; retrying', { error: error instanceof Error ? error.message : String(error) });
      }
      if (!this.running) return;
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    // A timer scheduled while this round was running may be due before the computed delay.
    if (this.rescan) return Promise.resolve();
    this.wakeAt = this.clock.now().getTime() + ms;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.wakeAt = Infinity;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
