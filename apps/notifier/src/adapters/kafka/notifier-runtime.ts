import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { Counter } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { MessagingRuntime, PoisonMessageError, WorkLoop, type ReceivedMessage } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { Refusal } from '@kairos/refusal';
import type { DispatchHooks } from '../../use-cases/dispatch-sends/dispatch-sends';
import { DispatchSends } from '../../use-cases/dispatch-sends/dispatch-sends';
import { FireTimers } from '../../use-cases/fire-timers/fire-timers';
import { PlanNotifications, type Queued } from '../../use-cases/plan-notifications/plan-notifications';
import { PgNotifierTx } from '../postgres/notifier-store';

export const CONSUMER_GROUP = 'notifier';
export const LOOP_INTERVAL = Symbol('LOOP_INTERVAL');

/**
 * One message of access-request.events in its inbox transaction: the plan-notifications use case;
 * a refusal (an event that can never be applied) is poison, dead-lettered.
 */
export async function handleRequestEvent(plan: PlanNotifications, message: ReceivedMessage, tx: EntityManager): Promise<Queued> {
  try {
    return await plan.run(new PgNotifierTx(tx), message);
  } catch (error) {
    if (error instanceof Refusal) throw new PoisonMessageError(error.detail);
    throw error;
  }
}

/**
 * The consumer of access-request.events (inbox, signatures, dead-letter topic), the outbox relay and
 * the loop of due work (timers, then notifications and sends).
 */
@Injectable()
export class NotifierRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly messaging: MessagingRuntime;
  private readonly loop: WorkLoop;
  private sendsQueued = false;
  private messagesQueued = false;

  constructor(
    kafka: Kafka,
    dataSource: DataSource,
    plan: PlanNotifications,
    fireTimers: FireTimers,
    dispatchSends: DispatchSends,
    @Inject(LOOP_INTERVAL) intervalMs: number,
    logger: JsonLogger,
    metrics: ServiceMetrics,
  ) {
    const log = {
      info: (msg: string, fields?: Record<string, unknown>) => logger.write('info', msg, fields),
      warn: (msg: string, fields?: Record<string, unknown>) => logger.write('warn', msg, fields),
      error: (msg: string, fields?: Record<string, unknown>) => logger.write('error', msg, fields),
    };
    this.messaging = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: CONSUMER_GROUP,
      topics: [TOPICS.accessRequestEvents],
      log,
      metrics,
      handle: async (message, tx) => {
        const queued = await handleRequestEvent(plan, message, tx);
        this.sendsQueued ||= queued.sends;
        this.messagesQueued ||= queued.messages;
      },
      // After a commit, wake the dispatcher only when a send was queued and the outbox relay only
      // when an escalation was; otherwise each runs on its interval (reminders, retries). A batch
      // that rolled back merely wakes them for nothing.
      onOutcome: () => {
        if (this.sendsQueued) this.loop.notify();
        if (this.messagesQueued) this.messaging.notifyOutbox();
        this.sendsQueued = this.messagesQueued = false;
      },
    });
    // One round of everything due; whether anything was done (the loop looks again at once).
    this.loop = new WorkLoop(async () => (await fireTimers.run()) + (await dispatchSends.run()) > 0, {
      idleMs: intervalMs,
      onError: (error) => log.warn('notification loop failed; retrying', { error: error instanceof Error ? error.message : String(error) }),
    });
  }

  /** Asks the outbox relay to publish now (escalations queued by the dispatcher). */
  notifyOutbox(): void {
    this.messaging.notifyOutbox();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.loop.start();
    await this.messaging.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
    await this.messaging.stop();
  }
}

export function sendMetrics(metrics: ServiceMetrics): DispatchHooks {
  const sent = new Counter({ name: 'kairos_notifications_sent_total', help: 'Notifications sent by channel and kind', labelNames: ['channel', 'kind'], registers: [metrics.registry] });
  const dead = new Counter({ name: 'kairos_notifications_dead_total', help: 'Sends dead-lettered by channel and kind', labelNames: ['channel', 'kind'], registers: [metrics.registry] });
  return { onSent: (channel, kind) => sent.inc({ channel, kind }), onDead: (channel, kind) => dead.inc({ channel, kind }) };
}
