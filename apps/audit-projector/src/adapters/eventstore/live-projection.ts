import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { DataSource } from 'typeorm';
import { ReadinessRegistry } from '@kairos/http';
import { parkedEventsGauge, projectionLagSeconds } from '@kairos/event-store';
import { addGaugeSource, JsonLogger, ServiceMetrics } from '@kairos/observability';
import { AuditTables } from '../postgres/audit-schema';
import { SingleActive } from '@kairos/persistence';
import { AUDIT_CATEGORY, LIVE_SUBSCRIPTION, ProjectionRunner } from './projection-runner';

/** The projection that follows the request streams for as long as the service runs. */
@Injectable()
export class LiveProjection implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly runner: ProjectionRunner;
  private readonly countParked: () => Promise<void>;
  /** One replica writes the audit chain; the others stand by (ADR 0028). */
  readonly leadership: SingleActive;

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
    this.leadership = new SingleActive(dataSource, {
      name: `${tables.schema}:audit-live-projection`,
      lead: () => this.runner.start(),
      stepDown: () => this.runner.stop(),
      log: { info: (m, f) => logger.write('info', m, f), warn: (m, f) => logger.warn(m, f) },
    });
    readiness.register('projection', async () => {
      // A standby serves reads of what the active replica projects.
      this.leadership.assertDecided();
      if (this.leadership.isLeader && !this.runner.isCaughtUp) throw new Error('the projection has not caught up with the event store');
    });
  }

  onApplicationBootstrap(): void {
    this.leadership.start();
    void this.countParked();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.leadership.stop();
    await this.runner.stop();
  }
}
