import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { ReadinessRegistry } from '@kairos/http';
import { MessagingRuntime } from '@kairos/messaging';
import { ServiceMetrics } from '@kairos/observability';
import { CONNECTORS, type ConnectorRegistry } from '../connectors/registry';
import { ConnectorHealthMonitor } from '../../use-cases/probe-connectors/connector-health-monitor';
import { RecordRequestedJob } from '../../use-cases/record-requested-job/record-requested-job';
import { JobsRepository } from '../postgres/jobs.repository';
import { RequestStreamUnavailableError } from '../eventstore/requested-on-stream';
import { CLOCK, type Clock } from '@kairos/clock';
import { RunJob } from '../../use-cases/run-job/run-job';
import { PROVISIONING_LOG } from '../observability/scrubbed-log';
import { JobWorker, type WorkerLog, type WorkerOptions } from '../worker/job-worker';

export const CONSUMER_GROUP = 'provisioning-connector';
export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');

/** Wires the consumer (records jobs), the worker (runs them) and the outbox relay (publishes results). */
@Injectable()
export class ProvisioningRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly messaging: MessagingRuntime;
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
    recordJob: RecordRequestedJob,
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
      // Recorded in the inbox transaction: the job and the message's acknowledgement commit together.
      handle: async (message, tx) => {
        await recordJob.handle(message, { record: (recordable, now) => jobs.record(tx, recordable, now) });
      },
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
    await this.messaging.start();
  }

  /** Wakes the worker and the relay (after a ticket is resolved, say). */
  notify(): void {
    this.worker.notify();
    this.messaging.notifyOutbox();
  }

  async onApplicationShutdown(): Promise<void> {
    this.health.stop();
    await this.worker.stop();
    await this.messaging.stop();
    for (const connector of this.connectors.values()) await connector.close();
  }
}
