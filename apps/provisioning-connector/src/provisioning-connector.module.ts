import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigError, kafkaConnection, messageKeys } from '@kairos/config';
import { JsonLogger, safeErrorMessage, ServiceMetrics } from '@kairos/observability';
import { EventStoreModule } from '@kairos/event-store';
import { PlatformModule } from '@kairos/http';
import { PostgresModule } from '@kairos/persistence';
import { KafkaModule } from '@kairos/messaging';
import { EventStoreDBClient } from '@eventstore/db-client';
import { CLOCK, systemClock, type Clock } from '@kairos/clock';
import type { ProvisioningConnectorConfig } from './config';
import { migrations } from './migrations';
import type { RetryPolicy } from './domain/job';
import { ListJobs } from './use-cases/list-jobs/list-jobs';
import { ListTickets } from './use-cases/list-tickets/list-tickets';
import { ConnectorHealthMonitor } from './use-cases/probe-connectors/connector-health-monitor';
import { RecordRequestedJob } from './use-cases/record-requested-job/record-requested-job';
import { ResolveTicket } from './use-cases/resolve-ticket/resolve-ticket';
import { RevealCredentials } from './use-cases/reveal-credentials/reveal-credentials';
import type { JobLog } from './use-cases/run-job/ports';
import { RunJob } from './use-cases/run-job/run-job';
import { CONNECTORS, connectorSettingsProblems, createConnectors, pluginOf, type ConnectorRegistry } from './adapters/connectors/registry';
import { RequestedOnStream } from './adapters/eventstore/requested-on-stream';
import { CredentialsController } from './adapters/http/credentials.controller';
import { JobsController } from './adapters/http/jobs.controller';
import { TicketsController } from './adapters/http/tickets.controller';
import { AccessRequestEventsController } from './adapters/kafka/access-request-events.controller';
import { ProvisioningRuntime, WORKER_OPTIONS } from './adapters/kafka/provisioning.runtime';
import { ConnectorGauges } from './adapters/observability/connector-gauges';
import { PrometheusJobMetrics } from './adapters/observability/job-metrics';
import { PROVISIONING_LOG, scrubbedLog } from './adapters/observability/scrubbed-log';
import { CREDENTIALS_SEALER, CredentialsSealer } from './adapters/postgres/credentials-sealer';
import { CredentialsRepository } from './adapters/postgres/credentials.repository';
import { JobsRepository } from './adapters/postgres/jobs.repository';
import { traceConnectorCall, type WorkerOptions } from './adapters/worker/job-worker';

export interface ProvisioningOverrides {
  readonly clock?: Clock;
}

@Module({})
export class ProvisioningConnectorModule {
  static forRoot(config: ProvisioningConnectorConfig, overrides: ProvisioningOverrides = {}): DynamicModule {
    const clock = overrides.clock ?? systemClock;
    const problems = connectorSettingsProblems(config);
    if (problems.length > 0) throw new ConfigError(problems);
    const retry: RetryPolicy = { maxAttempts: config.JOB_MAX_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS, maxBackoffMs: config.JOB_MAX_BACKOFF_MS };
    const workerOptions: WorkerOptions = { leaseMs: config.JOB_LEASE_MS, pollMs: config.JOB_POLL_MS, concurrency: config.JOB_CONCURRENCY };
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
      controllers: [JobsController, TicketsController, CredentialsController, AccessRequestEventsController],
      providers: [
        { provide: CLOCK, useValue: clock },
        { provide: WORKER_OPTIONS, useValue: workerOptions },
        { provide: PROVISIONING_LOG, inject: [JsonLogger], useFactory: (logger: JsonLogger): JobLog => scrubbedLog(logger) },
        // Every connector from the one list (adapters/connectors/index.ts), each from its own settings.
        { provide: CONNECTORS, useFactory: (): ConnectorRegistry => createConnectors(config, { clock }) },
        { provide: CREDENTIALS_SEALER, useFactory: () => CredentialsSealer.fromConfig(config) },
        CredentialsRepository,
        JobsRepository,
        {
          provide: RequestedOnStream,
          inject: [EventStoreDBClient, PROVISIONING_LOG],
          useFactory: (eventStore: EventStoreDBClient, log: JobLog) => new RequestedOnStream(eventStore, log),
        },
        // The use cases, each over the adapters that implement its ports.
        {
          provide: ConnectorHealthMonitor,
          inject: [CONNECTORS, ServiceMetrics],
          useFactory: (connectors: ConnectorRegistry, metrics: ServiceMetrics) =>
            new ConnectorHealthMonitor(connectors, clock, new ConnectorGauges(metrics.registry), safeErrorMessage, { intervalMs: config.CONNECTOR_HEALTH_INTERVAL_MS }),
        },
        {
          provide: RecordRequestedJob,
          inject: [RequestedOnStream],
          useFactory: (stream: RequestedOnStream) => new RecordRequestedJob(stream, (connector, access) => pluginOf(connector).accessRole(access), clock),
        },
        {
          provide: RunJob,
          inject: [JobsRepository, CONNECTORS, PROVISIONING_LOG, CredentialsRepository, ConnectorHealthMonitor, ServiceMetrics],
          useFactory: (jobs: JobsRepository, connectors: ConnectorRegistry, log: JobLog, credentials: CredentialsRepository, health: ConnectorHealthMonitor, metrics: ServiceMetrics) =>
            new RunJob({
              jobs,
              connectors,
              clock,
              retry,
              log,
              describe: safeErrorMessage,
              traceCall: traceConnectorCall,
              credentials,
              calls: health,
              metrics: new PrometheusJobMetrics(metrics.registry),
            }),
        },
        ProvisioningRuntime,
        { provide: ResolveTicket, inject: [JobsRepository, ProvisioningRuntime], useFactory: (jobs: JobsRepository, runtime: ProvisioningRuntime) => new ResolveTicket(jobs, runtime, clock) },
        { provide: ListTickets, inject: [JobsRepository], useFactory: (jobs: JobsRepository) => new ListTickets(jobs) },
        { provide: ListJobs, inject: [JobsRepository], useFactory: (jobs: JobsRepository) => new ListJobs(jobs) },
        { provide: RevealCredentials, inject: [CredentialsRepository], useFactory: (credentials: CredentialsRepository) => new RevealCredentials(credentials, clock) },
      ],
    };
  }
}
