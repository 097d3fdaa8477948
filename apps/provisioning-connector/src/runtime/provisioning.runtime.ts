import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kairos/contracts';
import { ReadinessRegistry } from '@kairos/http';
import { contractSchemas, IdempotentConsumer, MessagePublisher, OutboxRelay } from '@kairos/messaging';
import { JsonLogger } from '@kairos/observability';
import { CLOCK } from '../tokens';
import type { Clock } from '../domain/clock';
import { CONNECTORS, type ConnectorRegistry } from '../connectors/registry';
import { safeMessage } from '../connectors/postgres.connector';
import { JobsRepository } from '../jobs/jobs.repository';
import { JobWorker, type WorkerOptions } from '../jobs/job-worker';
import { jobFor } from '../jobs/record-job';

export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');
export const CONSUMER_GROUP = 'provisioning-connector';

/** Wires the consumer (records jobs), the worker (runs them) and the outbox relay (publishes results). */
@Injectable()
export class ProvisioningRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly publisher: MessagePublisher;
  private readonly relay: OutboxRelay;
  private readonly worker: JobWorker;
  private readonly consumer: IdempotentConsumer;

  constructor(
    @Inject(Kafka) kafka: Kafka,
    @Inject(DataSource) dataSource: DataSource,
    private readonly jobs: JobsRepository,
    @Inject(CONNECTORS) private readonly connectors: ConnectorRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(WORKER_OPTIONS) options: WorkerOptions,
    private readonly readiness: ReadinessRegistry,
    private readonly logger: JsonLogger,
  ) {
    const log = {
      log: (msg: string, fields?: Record<string, unknown>) => logger.write('info', msg, fields),
      warn: (msg: string, fields?: Record<string, unknown>) => logger.write('warn', msg, fields),
      error: (msg: string, fields?: Record<string, unknown>) => logger.write('error', msg, fields),
    };
    this.publisher = new MessagePublisher(kafka, contractSchemas);
    this.relay = new OutboxRelay(dataSource, this.publisher, {
      onError: (e) => log.error('outbox relay failed', { reason: safeMessage(e) }),
    });
    this.worker = new JobWorker(jobs, connectors, clock, options, log, () => this.relay.notify());
    this.consumer = new IdempotentConsumer({
      kafka,
      groupId: CONSUMER_GROUP,
      topics: [TOPICS.accessRequestEvents],
      dataSource,
      publisher: this.publisher,
      schemas: contractSchemas,
      log,
      handle: async (message, tx) => {
        const job = jobFor(message);
        if (job) await this.jobs.record(tx, job, this.clock.now());
      },
      onOutcome: (_topic, outcome) => {
        if (outcome === 'processed') this.worker.notify();
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const connector of this.connectors.values()) {
      if (!connector.configured) continue;
      this.readiness.register(`connector:${connector.name}`, async () => {
        const health = await connector.health();
        if (!health.healthy) throw new Error(health.reason);
      });
    }
    this.relay.start();
    this.worker.start();
    await this.consumer.start();
  }

  /** Wakes the worker and the relay (after a ticket is resolved, say). */
  notify(): void {
    this.worker.notify();
    this.relay.notify();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
    await this.worker.stop();
    await this.relay.stop();
    await this.publisher.disconnect();
    for (const connector of this.connectors.values()) await connector.close();
  }
}
