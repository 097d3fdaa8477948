import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigError, kafkaConnection, messageKeys } from '@kairos/config';
import { ServiceMetrics } from '@kairos/observability';
import { EventStoreModule } from '@kairos/event-store';
import { PlatformModule } from '@kairos/http';
import { PostgresModule } from '@kairos/persistence';
import { KafkaModule } from '@kairos/messaging';
import type { ProvisioningConnectorConfig } from './config';
import { migrations } from './migrations';
import { systemClock, type Clock } from './domain/clock';
import { CLOCK } from './tokens';
import { CONNECTORS, connectorSettingsProblems, createConnectors, type ConnectorRegistry } from './connectors/registry';
import { ConnectorHealthMonitor, HEALTH_MONITOR } from './connectors/health-monitor';
import { CredentialsController } from './credentials/credentials.controller';
import { CredentialsRepository } from './credentials/credentials.repository';
import { CREDENTIALS_SEALER, CredentialsSealer } from './credentials/sealer';
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
    const problems = connectorSettingsProblems(config);
    if (problems.length > 0) throw new ConfigError(problems);
    const workerOptions: WorkerOptions = {
      retry: { maxAttempts: config.JOB_MAX_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS, maxBackoffMs: config.JOB_MAX_BACKOFF_MS },
      leaseMs: config.JOB_LEASE_MS,
      pollMs: config.JOB_POLL_MS,
      concurrency: config.JOB_CONCURRENCY,
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
        KafkaModule.forRoot({ connection: kafkaConnection(config), clientId: 'provisioning-connector', keys: messageKeys(config) }),
        EventStoreModule.forRoot({ connectionString: config.EVENTSTORE_URL }),
      ],
      controllers: [JobsController, TicketsController, CredentialsController],
      providers: [
        { provide: CLOCK, useValue: clock },
        { provide: WORKER_OPTIONS, useValue: workerOptions },
        // Every connector from the one list (connectors/index.ts), each from its own settings.
        { provide: CONNECTORS, useFactory: (): ConnectorRegistry => createConnectors(config, { clock }) },
        {
          provide: HEALTH_MONITOR,
          inject: [CONNECTORS, ServiceMetrics],
          useFactory: (connectors: ConnectorRegistry, metrics: ServiceMetrics) =>
            new ConnectorHealthMonitor(connectors, clock, metrics.registry, { intervalMs: config.CONNECTOR_HEALTH_INTERVAL_MS }),
        },
        { provide: CREDENTIALS_SEALER, useFactory: () => CredentialsSealer.fromConfig(config) },
        CredentialsRepository,
        JobsRepository,
        ProvisioningRuntime,
      ],
    };
  }
}
