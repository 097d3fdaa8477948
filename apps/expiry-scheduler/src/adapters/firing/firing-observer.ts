import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock } from '@kairos/clock';
import { addGaugeSource, JsonLogger, ServiceMetrics } from '@kairos/observability';
import type { DueTimer } from '../../domain/timer';
import type { FiringListener } from '../../use-cases/fire-due-timers/ports';
import { ExpiryMessaging } from '../kafka/expiry-messaging';
import { timerRepository } from '../postgres/timer.repository';

/**
 * What follows a committed firing: the outbox relay is woken, each timer is counted (by kind, and
 * its lateness) and logged. Also the operators' overdue gauges: due but not fired, what the firing
 * loop has not caught up with (PostgreSQL or the loop being down).
 */
@Injectable()
export class FiringObserver implements FiringListener {
  private readonly firedTotal: Counter<'kind'>;
  private readonly lateness: Histogram;

  constructor(
    private readonly messaging: ExpiryMessaging,
    private readonly logger: JsonLogger,
    metrics: ServiceMetrics,
    dataSource: DataSource,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.firedTotal = new Counter({
      name: 'kairos_timers_fired_total',
      help: 'Timers fired by kind',
      labelNames: ['kind'],
      registers: [metrics.registry],
    });
    this.lateness = new Histogram({
      name: 'kairos_timer_firing_lateness_seconds',
      help: 'Time from a timer being due to it being fired (written to the outbox)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300],
      registers: [metrics.registry],
    });
    const overdue = () => timerRepository.overdue(dataSource.manager, clock.now());
    addGaugeSource(metrics.registry, 'timersOverdue', async (set) => set({}, (await overdue()).count));
    addGaugeSource(metrics.registry, 'timersOverdueAge', async (set) => set({}, (await overdue()).oldestAgeSeconds));
  }

  fired(timers: readonly DueTimer[], firedAt: Date): void {
    this.messaging.notifyOutbox();
    for (const timer of timers) {
      const lateMs = firedAt.getTime() - new Date(timer.dueAt).getTime();
      this.firedTotal.inc({ kind: timer.kind });
      this.lateness.observe(Math.max(0, lateMs) / 1000);
      this.logger.write('info', 'timer fired', { timerId: timer.timerId, kind: timer.kind, requestId: timer.requestId, dueAt: timer.dueAt, lateMs });
    }
  }
}
