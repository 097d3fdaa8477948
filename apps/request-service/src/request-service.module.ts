import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { CLOCK, systemClock, type Clock } from '@kairos/clock';
import { kafkaConnection, messageKeys } from '@kairos/config';
import { EventStoreModule } from '@kairos/event-store';
import { PlatformModule } from '@kairos/http';
import { KafkaModule, startKafkaInbox, type KafkaInboxTransport } from '@kairos/messaging';
import { currentCorrelationId } from '@kairos/observability';
import { PostgresModule } from '@kairos/persistence';
import { AccessRequestStore } from './adapters/eventstore/access-request.store';
import { KafkaRelay } from './adapters/eventstore/kafka-relay';
import { RequestProjection } from './adapters/eventstore/request-projection';
import { AccessRequestsController } from './adapters/http/access-requests.controller';
import { accessRequestProblems } from './adapters/http/problem-mapping';
import { DecisionInbox } from './adapters/kafka/decision-inbox';
import { DecisionsController } from './adapters/kafka/decisions.controller';
import { POLICY_URL, PolicyClient } from './adapters/policy/policy.client';
import { AccessRequestQueries } from './adapters/postgres/access-requests.queries';
import { IdempotencyKeys } from './adapters/postgres/idempotency-keys';
import type { RequestServiceConfig } from './config';
import type { CorrelationIds } from './domain/ports';
import { migrations } from './migrations';
import { ActOnRequest } from './use-cases/act-on-request/act-on-request';
import { GetRequest } from './use-cases/get-request/get-request';
import { ListRequests } from './use-cases/list-requests/list-requests';
import { RecordDecision } from './use-cases/record-decision/record-decision';
import { SubmitRequest } from './use-cases/submit-request/submit-request';

/** The correlation id of the HTTP call or Kafka message in hand (the platform keeps it per call). */
const correlationIds: CorrelationIds = { current: () => currentCorrelationId() };

@Module({})
export class RequestServiceModule {
  static forRoot(config: RequestServiceConfig, overrides: { clock?: Clock } = {}): DynamicModule {
    return {
      module: RequestServiceModule,
      imports: [
        PlatformModule.forRoot({
          service: 'request-service',
          logLevel: config.LOG_LEVEL,
          auth: { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, jwksUrl: config.AUTH_JWKS_URL },
          problemMappers: [accessRequestProblems],
        }),
        PostgresModule.forRoot({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations }),
        KafkaModule.forRoot({ connection: kafkaConnection(config), clientId: 'request-service', keys: messageKeys(config) }),
        EventStoreModule.forRoot({ connectionString: config.EVENTSTORE_URL }),
      ],
      controllers: [
        AccessRequestsController,
        // Kafka: @EventPattern handlers, reached through the inbox transport (startInbox)
        DecisionsController,
      ],
      providers: [
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        { provide: POLICY_URL, useValue: config.APPROVAL_POLICY_URL.replace(/\/$/, '') },
        // Adapters
        PolicyClient,
        AccessRequestStore,
        AccessRequestQueries,
        IdempotencyKeys,
        RequestProjection,
        KafkaRelay,
        DecisionInbox,
        // Use cases, over the adapters that implement their ports
        {
          provide: SubmitRequest,
          useFactory: (streams: AccessRequestStore, policy: PolicyClient, keys: IdempotencyKeys, clock: Clock) => new SubmitRequest(streams, policy, keys, clock, correlationIds),
          inject: [AccessRequestStore, PolicyClient, IdempotencyKeys, CLOCK],
        },
        {
          provide: ActOnRequest,
          useFactory: (streams: AccessRequestStore, clock: Clock) => new ActOnRequest(streams, clock, correlationIds),
          inject: [AccessRequestStore, CLOCK],
        },
        {
          provide: GetRequest,
          useFactory: (streams: AccessRequestStore, readModel: AccessRequestQueries, projection: RequestProjection) => new GetRequest(streams, readModel, projection),
          inject: [AccessRequestStore, AccessRequestQueries, RequestProjection],
        },
        {
          provide: ListRequests,
          useFactory: (readModel: AccessRequestQueries) => new ListRequests(readModel),
          inject: [AccessRequestQueries],
        },
        {
          provide: RecordDecision,
          useFactory: (streams: AccessRequestStore, clock: Clock) => new RecordDecision(streams, clock),
          inject: [AccessRequestStore, CLOCK],
        },
      ],
    };
  }

  /**
   * Starts the Kafka inbox: the consumer of the other services' decisions, whose messages reach
   * `DecisionsController`. The app is initialised first (migrations) if it was not yet.
   * `app.close()` stops it.
   */
  static async startInbox(app: INestApplication): Promise<KafkaInboxTransport> {
    await app.init();
    return startKafkaInbox(app, app.get(DecisionInbox).runtime);
  }
}
