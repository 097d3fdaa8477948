import { Module, type DynamicModule } from '@nestjs/common';
import { messageKeys } from '@kairos/config';
import { EventStoreModule } from '@kairos/event-store';
import { PlatformModule } from '@kairos/http';
import { PostgresModule } from '@kairos/persistence';
import { KafkaModule } from '@kairos/messaging';
import { webhookSecret, type ProvisioningConnectorConfig } from './config';
import { migrations } from './migrations';
import { systemClock, type Clock } from './domain/clock';
import { CLOCK } from './tokens';
import type { Connector } from './connectors/connector';
import { CONNECTORS, type ConnectorRegistry } from './connectors/registry';
import { PostgresConnector } from './connectors/postgres.connector';
import { WebhookConnector } from './connectors/webhook.connector';
import { JobsRepository } from './jobs/jobs.repository';
import { JobsController } from './jobs/jobs.controller';
import { TicketsController } from './tickets/tickets.controller';
import { ProvisioningRuntime, WORKER_OPTIONS } from './runtime/provisioning.runtime';
import type { WorkerOptions } from './jobs/job-worker';

export interface ProvisioningOverrides {
  readonly clock?: Clock;
}

@Module({})
export class ProvisioningConnectorModule {
  static forRoot(config: ProvisioningConnectorConfig, overrides: ProvisioningOverrides = {}): DynamicModule {
    const clock = overrides.clock ?? systemClock;
    const workerOptions: WorkerOptions = {
      retry: { maxAttempts: config.JOB_MAX_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS, maxBackoffMs: config.JOB_MAX_BACKOFF_MS },
      leaseMs: config.JOB_LEASE_MS,
      pollMs: config.JOB_POLL_MS,
    };
    return {
      module: ProvisioningConnectorModule,
      imports: [
        PlatformModule.forRoot({
          service: 'provisioning-connector',
          logLevel: config.LOG_LEVEL,
          auth: { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, jwksUrl: config.AUTH_JWKS_URL },
        }),
        PostgresModule.forRoot({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations }),
        KafkaModule.forRoot({ brokers: config.KAFKA_BROKERS, clientId: 'provisioning-connector', keys: messageKeys(config) }),
        EventStoreModule.forRoot({ connectionString: config.EVENTSTORE_URL }),
      ],
      controllers: [JobsController, TicketsController],
      providers: [
        { provide: CLOCK, useValue: clock },
        { provide: WORKER_OPTIONS, useValue: workerOptions },
        {
          provide: CONNECTORS,
          useFactory: (): ConnectorRegistry => {
            const registry = new Map<'postgres' | 'webhook', Connector>();
            registry.set('postgres', new PostgresConnector(config.TARGET_POSTGRES_URL));
            registry.set(
              'webhook',
              new WebhookConnector(
                { url: config.WEBHOOK_URL || undefined, secret: webhookSecret(config), timeoutMs: config.WEBHOOK_TIMEOUT_MS },
                clock,
              ),
            );
            return registry;
          },
        },
        JobsRepository,
        ProvisioningRuntime,
      ],
    };
  }
}
