import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { WorkLoop } from '@kairos/messaging';
import { JsonLogger } from '@kairos/observability';
import { DispatchSends } from '../../use-cases/dispatch-sends/dispatch-sends';
import { FireTimers } from '../../use-cases/fire-timers/fire-timers';

export const LOOP_INTERVAL = Symbol('LOOP_INTERVAL');

/**
 * The loop of due work, for as long as the service runs: timers fired (reminders, escalations,
 * expiry warnings), then notifications expanded and sends made. It runs on its interval, and at
 * once when woken (a request event queued a send).
 */
@Injectable()
export class DispatchLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly loop: WorkLoop;

  constructor(fireTimers: FireTimers, dispatchSends: DispatchSends, @Inject(LOOP_INTERVAL) intervalMs: number, logger: JsonLogger) {
    // One round of everything due; whether anything was done (the loop looks again at once).
    this.loop = new WorkLoop(async () => (await fireTimers.run()) + (await dispatchSends.run()) > 0, {
      idleMs: intervalMs,
      onError: (error) => logger.write('warn', 'notification loop failed; retrying', { error: error instanceof Error ? error.message : String(error) }),
    });
  }

  /** Looks for work now. */
  notify(): void {
    this.loop.notify();
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }
}
