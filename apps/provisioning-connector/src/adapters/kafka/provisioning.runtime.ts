import { Inject, Injectable, type BeforeApplicationShutdown, type INestApplication, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { ReadinessRegistry } from '@kairos/http';
import { MessagingRuntime, startKafkaInbox, type KafkaInboxTransport } from '@kairos/messaging';
import { ServiceMetrics } from '@kairos/observability';
import { CONNECTORS, type ConnectorRegistry } from '../connectors/registry';
import { ConnectorHealthMonitor } from '../../use-cases/probe-connectors/connector-health-monitor';
import { JobsRepository } from '../postgres/jobs.repository';
import { RequestStreamUnavailableError } from '../eventstore/requested-on-stream';
import { CLOCK, type Clock } from '@kairos/clock';
import { RunJob } from '../../use-cases/run-job/run-job';
import { PROVISIONING_LOG } from '../observability/scrubbed-log';
import { JobWorker, type WorkerLog, type WorkerOptions } from '../worker/job-worker';

export const CONSUMER_GROUP = 'provisioning-connector';
export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');

/**
 * Wires the consumer of access-request.events (its handlers: AccessRequestEventsController, bound
 * by `startProvisioningInbox`), the worker (runs the jobs) and the outbox relay (publishes results).
 */
@Injectable()
export class ProvisioningRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  /** The Kafka inbox and outbox relay; started and stopped by the inbox transport. */
  readonly messaging: MessagingRuntime;
  private readonly worker: JobWorker;

  constructor(
    @Inject(Kafka) kafka: Kafka,
    @Inject(DataSource) dataSource: DataSource,
    jobs: JobsRepository,
    @Inject(CONNECTORS) private readonly connectors: ConnectorRegistry,
    private readonly readiness: ReadinessRegistry,
    @Inject(PROVISIONING_LOG) log: WorkerLog,
    metrics: ServiceMetrics,
    private readonly health: ConnectorHealthMonitor,
    runJob: RunJob,
    @Inject(CLOCK) clock: Clock,
    @Inject(WORKER_OPTIONS) options: WorkerOptions,
  ) {
    this.worker = new JobWorker(jobs, runJob, clock, options, log, () => this.messaging.notifyOutbox());
    this.messaging = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: CONSUMER_GROUP,
      topics: [TOPICS.accessRequestEvents],
      log,
      metrics,
      onOutcome: (_topic, outcome) => {
        if (outcome === 'processed') this.worker.notify();
      },
      isTransient: (error) => error instanceof RequestStreamUnavailableError,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const connector of this.connectors.values()) {
      if (!connector.configured) continue;
      this.readiness.register(`connector:${connector.name}`, async () => {
        const health = await this.health.probe(connector.name);
        if (!health.healthy) throw new Error(health.reason);
      });
    }
    this.health.start();
    this.worker.start();
  }

  /** Wakes the worker and the relay (after a ticket is resolved, say). */
  notify(): void {
    this.worker.notify();
    this.messaging.notifyOutbox();
  }

  /** Before the inbox transport stops the consumer and the relay: the worker finishes its running jobs. */
  async beforeApplicationShutdown(): Promise<void> {
    this.health.stop();
    await this.worker.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.messaging.stop(); // already stopped by the transport when it ran (stop is idempotent)
    for (const connector of this.connectors.values()) await connector.close();
  }
}

/**
 * Starts the service's Kafka inbox on its app (main.ts, and test harnesses as main does): the
 * @EventPattern handlers of adapters/kafka consume access-request.events. `app.close()` stops it.
 */
export function startProvisioningInbox(app: INestApplication): Promise<KafkaInboxTransport> {
  return startKafkaInbox(app, app.get(ProvisioningRuntime).messaging);
}
