import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { MessagingRuntime, WorkLoop } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { CLOCK, type Clock } from '../shared/clock';
import { Dispatcher, type DispatcherHooks } from './dispatcher';
import { applyRequestEvent, type HandlerSettings } from './request-events.handler';

export const CONSUMER_GROUP = 'notifier';
export const DISPATCHER = Symbol('DISPATCHER');
export const HANDLER_SETTINGS = Symbol('HANDLER_SETTINGS');
export const LOOP_INTERVAL = Symbol('LOOP_INTERVAL');
export const DISPATCHER_HOOKS = Symbol('DISPATCHER_HOOKS');

/** The consumer of access-request.events (inbox, signatures, dead-letter topic), the outbox relay and the send loop. */
@Injectable()
export class NotifierRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly messaging: MessagingRuntime;
  private readonly loop: WorkLoop;
  private sendsQueued = false;
  private messagesQueued = false;

  constructor(
    kafka: Kafka,
    dataSource: DataSource,
    @Inject(CLOCK) clock: Clock,
    @Inject(HANDLER_SETTINGS) settings: HandlerSettings,
    @Inject(DISPATCHER) readonly dispatcher: Dispatcher,
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
        const queued = await applyRequestEvent(message, tx, clock, settings);
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
    this.loop = new WorkLoop(() => this.dispatcher.runOnce(), {
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

export function sendMetrics(metrics: ServiceMetrics): DispatcherHooks {
  const sent = new Counter({ name: 'kairos_notifications_sent_total', help: 'Notifications sent by channel and kind', labelNames: ['channel', 'kind'], registers: [metrics.registry] });
  const dead = new Counter({ name: 'kairos_notifications_dead_total', help: 'Sends dead-lettered by channel and kind', labelNames: ['channel', 'kind'], registers: [metrics.registry] });
  return { onSent: (channel, kind) => sent.inc({ channel, kind }), onDead: (channel, kind) => dead.inc({ channel, kind }) };
}
