import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CLOCK, type Clock } from '@kairos/clock';
import { JsonLogger } from '@kairos/observability';
import { sleepFor } from '../../domain/timer';
import { FireDueTimers } from '../../use-cases/fire-due-timers/fire-due-timers';
import { TimerWakeups } from './wakeups';

export const FIRING_OPTIONS = Symbol('FIRING_OPTIONS');

export interface FiringSettings {
  readonly maxSleepMs: number;
  readonly batchSize: number;
}

/**
 * Drives the fire-due-timers use case: a round, then sleep until the next due timer (never longer
 * than maxSleepMs); a newly scheduled timer nearer than that wakes it early. Started when the app
 * has bootstrapped (the first round fires every timer that came due while the service was down),
 * stopped when it closes.
 */
@Injectable()
export class FiringLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private running = false;
  private loop?: Promise<void>;
  private wakeAt = Infinity;
  private wake?: () => void;
  private rescan = false;

  constructor(
    private readonly fireDueTimers: FireDueTimers,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(FIRING_OPTIONS) private readonly settings: FiringSettings,
    private readonly logger: JsonLogger,
    wakeups: TimerWakeups,
  ) {
    wakeups.onScheduled((dueAt) => this.scheduled(dueAt));
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

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
  fireDue(): Promise<number> {
    return this.fireDueTimers.execute();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.rescan = false;
      let delay = this.settings.maxSleepMs;
      try {
        await this.fireDue();
        delay = sleepFor(await this.fireDueTimers.nextDueAt(), this.clock.now(), this.settings.maxSleepMs);
      } catch (error) {
        this.logger.write('error', 'firing due timers failed; retrying', { error: error instanceof Error ? error.message : String(error) });
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
