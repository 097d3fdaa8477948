import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { ReadinessRegistry } from '@kairos/http';
import { MessagingRuntime } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { CLOCK } from '../tokens';
import type { Clock } from '../domain/clock';
import { CONNECTORS, type ConnectorRegistry } from '../connectors/registry';
import { safeMessage } from '../connectors/connector';
import { HEALTH_MONITOR, type ConnectorHealthMonitor } from '../connectors/health-monitor';
import { CredentialsRepository } from '../credentials/credentials.repository';
import { JobsRepository } from '../jobs/jobs.repository';
import { JobWorker, type WorkerOptions } from '../jobs/job-worker';
import { jobFor } from '../jobs/record-job';
import { RequestedOnStream, RequestStreamUnavailableError } from './requested-on-stream';

export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');
export const CONSUMER_GROUP = 'provisioning-connector';

/** Wires the consumer (records jobs), the worker (runs them) and the outbox relay (publishes results). */
@Injectable()
export class ProvisioningRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly messaging: MessagingRuntime;
  private readonly worker: JobWorker;

  constructor(
    @Inject(Kafka) kafka: Kafka,
    @Inject(DataSource) dataSource: DataSource,
    private readonly jobs: JobsRepository,
    @Inject(CONNECTORS) private readonly connectors: ConnectorRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(WORKER_OPTIONS) options: WorkerOptions,
    private readonly readiness: ReadinessRegistry,
    private readonly logger: JsonLogger,
    metrics: ServiceMetrics,
    @Inject(EventStoreDBClient) eventStore: EventStoreDBClient,
    credentials: CredentialsRepository,
    @Inject(HEALTH_MONITOR) private readonly health: ConnectorHealthMonitor,
  ) {
    // Connection strings may carry credentials: every string field is scrubbed before it is logged.
    const scrub = (fields?: Record<string, unknown>) =>
      fields && Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? safeMessage(v) : v]));
    const log = {
      log: (msg: string, fields?: Record<string, unknown>) => logger.write('info', msg, scrub(fields)),
      warn: (msg: string, fields?: Record<string, unknown>) => logger.write('warn', msg, scrub(fields)),
      error: (msg: string, fields?: Record<string, unknown>) => logger.write('error', msg, scrub(fields)),
    };
    this.worker = new JobWorker(jobs, connectors, clock, options, log, () => this.messaging.notifyOutbox(), credentials, health, metrics.registry);
    const requestedOnStream = new RequestedOnStream(eventStore, log);
    this.messaging = new MessagingRuntime({
      kafka,
      dataSource,
      groupId: CONSUMER_GROUP,
      topics: [TOPICS.accessRequestEvents],
      log,
      metrics,
      handle: async (message, tx) => {
        await requestedOnStream.confirm(message);
        const job = jobFor(message);
        if (job) await this.jobs.record(tx, job, this.clock.now());
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
