import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { DataSource } from 'typeorm';
import { ReadinessRegistry } from '@kairos/http';
import { JsonLogger } from '@kairos/observability';
import { AuditTables } from './audit-schema';
import { LIVE_SUBSCRIPTION, ProjectionRunner } from './projection-runner';

/** The projection that follows the request streams for as long as the service runs. */
@Injectable()
export class LiveProjection implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly runner: ProjectionRunner;

  constructor(
    @Inject(EventStoreDBClient) client: EventStoreDBClient,
    @Inject(DataSource) dataSource: DataSource,
    tables: AuditTables,
    logger: JsonLogger,
    readiness: ReadinessRegistry,
  ) {
    this.runner = new ProjectionRunner({
      client,
      dataSource,
      tables,
      subscriptionId: LIVE_SUBSCRIPTION,
      onError: (error) => logger.error(error instanceof Error ? error : String(error), { msg: 'audit projection failed; resuming from its checkpoint' }),
    });
    readiness.register('projection', async () => {
      if (!this.runner.isCaughtUp) throw new Error('the projection has not caught up with the event store');
    });
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
