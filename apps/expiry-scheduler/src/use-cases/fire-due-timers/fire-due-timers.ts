import type { Clock } from '@kairos/clock';
import { TOPICS } from '@kairos/contracts';
import { firingMessageId, timerFired, type DueTimer } from '../../domain/timer';
import type { FiringListener, FiringMessage, FiringStore } from './ports';

export const EXPIRY_SOURCE = 'urn:kairos:expiry-scheduler';

const toMessage = (timer: DueTimer, firedAt: Date): FiringMessage => ({
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
 * Fires due timers: claim, queue TimerFired in the outbox and mark fired in one transaction per
 * batch, then tell the listener (which wakes the relay). Driven by the firing loop (adapters/firing),
 * which decides when to run it.
 */
export class FireDueTimers {
  constructor(
    private readonly store: FiringStore,
    private readonly clock: Clock,
    private readonly listener: FiringListener,
    private readonly settings: { readonly batchSize: number },
  ) {}

  /** Fires every timer due now, in batches; returns how many fired. */
  async execute(): Promise<number> {
    let total = 0;
    for (;;) {
      const fired = await this.fireBatch();
      total += fired;
      if (fired < this.settings.batchSize) return total;
    }
  }

  /** When the next pending timer is due (the loop sleeps until then). */
  nextDueAt(): Promise<Date | undefined> {
    return this.store.nextDueAt();
  }

  private async fireBatch(): Promise<number> {
    const firedAt = this.clock.now();
    const fired = await this.store.transaction(async (tx) => {
      const due = await tx.claimDue(firedAt, this.settings.batchSize);
      if (due.length === 0) return due;
      await tx.enqueue(due.map((timer) => toMessage(timer, firedAt)));
      await tx.markFired(
        due.map((t) => t.timerId),
        firedAt,
      );
      return due;
    });
    if (fired.length > 0) this.listener.fired(fired, firedAt);
    return fired.length;
  }
}
