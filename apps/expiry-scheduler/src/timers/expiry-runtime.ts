import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { MessagingRuntime } from '@kairos/messaging';
import { addGaugeSource, JsonLogger, ServiceMetrics } from '@kairos/observability';
import { Counter, Histogram } from 'prom-client';
import { CLOCK, type Clock } from '../shared/clock';
import { applyRequestEvent } from './request-events.handler';
import { TimerFiring } from './timer-firing';
import { timerRepository } from './timer.repository';

export const CONSUMER_GROUP = 'expiry-scheduler';
export const FIRING_OPTIONS = Symbol('FIRING_OPTIONS');

export interface FiringSettings {
  readonly maxSleepMs: number;
  readonly batchSize: number;
}

/** Starts the request-event consumer, the firing loop and the outbox relay; stops them in reverse. */
@Injectable()
export class ExpiryRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  readonly firing: TimerFiring;
  private readonly messaging: MessagingRuntime;
  private scheduledSince: Date[] = [];

  constructor(
    kafka: Kafka,
    dataSource: DataSource,
    @Inject(CLOCK) clock: Clock,
    @Inject(FIRING_OPTIONS) settings: FiringSettings,
    logger: JsonLogger,
    metrics: ServiceMetrics,
  ) {
    const log = {
      info: (msg: string, fields?: Record<string, unknown>) => logger.write('info', msg, fields),
      warn: (msg: string, fields?: Record<string, unknown>) => logger.write('warn', msg, fields),
      error: (msg: string, fields?: Record<string, unknown>) => logger.write('error', msg, fields),
    };
    const fired = new Counter({
      name: 'kairos_timers_fired_total',
      help: 'Timers fired by kind',
      labelNames: ['kind'],
      registers: [metrics.registry],
    });
    const lateness = new Histogram({
      name: 'kairos_timer_firing_lateness_seconds',
      help: 'Time from a timer being due to it being fired (written to the outbox)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300],
      registers: [metrics.registry],
    });
    // Due but not fired: what the firing loop has not caught up with (PostgreSQL or the loop being down).
    const overdue = () => timerRepository.overdue(dataSource.manager, clock.now());
    addGaugeSource(metrics.registry, 'timersOverdue', async (set) => set({}, (await overdue()).count));
    addGaugeSource(metrics.registry, 'timersOverdueAge', async (set) => set({}, (await overdue()).oldestAgeSeconds));
    this.messaging = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: CONSUMER_GROUP,
      topics: [TOPICS.accessRequestEvents],
      log,
      metrics,
      handle: async (message, tx) => {
        this.scheduledSince.push(...(await applyRequestEvent(message, tx, clock)));
      },
      onOutcome: () => {
        // Called after the inbox transaction committed: the new timers are visible to the loop.
        const scheduled = this.scheduledSince;
        this.scheduledSince = [];
        for (const dueAt of scheduled) this.firing.scheduled(dueAt);
      },
    });
    this.firing = new TimerFiring(
      dataSource,
      { notify: () => this.messaging.notifyOutbox() },
      clock,
      {
        ...settings,
        onFired: (timer, firedAt) => {
          const lateMs = firedAt.getTime() - new Date(timer.dueAt).getTime();
          fired.inc({ kind: timer.kind });
          lateness.observe(Math.max(0, lateMs) / 1000);
          log.info('timer fired', { timerId: timer.timerId, kind: timer.kind, requestId: timer.requestId, dueAt: timer.dueAt, lateMs });
        },
      },
      log,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // The first round fires every timer that came due while the service was down.
    this.firing.start();
    await this.messaging.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.firing.stop();
    await this.messaging.stop();
  }
}
