import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { DataSource } from 'typeorm';
import { ReadinessRegistry } from '@kairos/http';
import { parkedEventsGauge, projectionLagSeconds } from '@kairos/event-store';
import { addGaugeSource, JsonLogger, ServiceMetrics } from '@kairos/observability';
import { AuditTables } from './audit-schema';
import { AUDIT_CATEGORY, LIVE_SUBSCRIPTION, ProjectionRunner } from './projection-runner';

/** The projection that follows the request streams for as long as the service runs. */
@Injectable()
export class LiveProjection implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly runner: ProjectionRunner;
  private readonly countParked: () => Promise<void>;

  constructor(
    @Inject(EventStoreDBClient) client: EventStoreDBClient,
    @Inject(DataSource) dataSource: DataSource,
    tables: AuditTables,
    logger: JsonLogger,
    readiness: ReadinessRegistry,
    metrics: ServiceMetrics,
  ) {
    const gauge = parkedEventsGauge(metrics.registry);
    const countParked = async () => {
      try {
        gauge.set({ subscription: LIVE_SUBSCRIPTION }, await this.runner.parked.count(LIVE_SUBSCRIPTION));
      } catch {
        // The gauge catches up at the next park; the database being down shows in readiness.
      }
    };
    this.runner = new ProjectionRunner({
      client,
      dataSource,
      tables,
      subscriptionId: LIVE_SUBSCRIPTION,
      onError: (error) => logger.error(error instanceof Error ? error : String(error), { msg: 'audit projection failed; resuming from its checkpoint' }),
      log: { warn: (m, f) => logger.warn(m, f), error: (m, f) => logger.error(m, f) },
      onParked: () => void countParked(),
    });
    this.countParked = countParked;
    addGaugeSource(metrics.registry, 'projectionLag', async (set) =>
      set({ projection: LIVE_SUBSCRIPTION }, await projectionLagSeconds(client, AUDIT_CATEGORY, await this.runner.checkpoint(), new Date())),
    );
    readiness.register('projection', async () => {
      if (!this.runner.isCaughtUp) throw new Error('the projection has not caught up with the event store');
    });
  }

  onApplicationBootstrap(): void {
    this.runner.start();
    void this.countParked();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
