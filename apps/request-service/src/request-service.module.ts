import { Module, type DynamicModule } from '@nestjs/common';
import { EventStoreModule } from '@kairos/event-store';
import { kafkaConnection, messageKeys } from '@kairos/config';
import { PlatformModule } from '@kairos/http';
import { KafkaModule } from '@kairos/messaging';
import { PostgresModule } from '@kairos/persistence';
import { AccessRequestStore } from './adapters/eventstore/access-request.store';
import { AccessRequestQueries } from './adapters/postgres/access-requests.queries';
import { AccessRequestUseCases } from './use-cases/submit-request/submit-request';
import { IdempotencyKeys } from './adapters/postgres/idempotency-keys';
import { POLICY_URL, PolicyClient } from './adapters/policy/policy.client';
import type { RequestServiceConfig } from './config';
import { AccessRequestsController } from './adapters/http/access-requests.controller';
import { accessRequestProblems } from './adapters/http/problem-mapping';
import { migrations } from './migrations';
import { RequestProjection } from './adapters/eventstore/request-projection';
import { DecisionRecorder } from './adapters/kafka/decision-recorder';
import { KafkaRelay } from './adapters/eventstore/kafka-relay';
import { CLOCK, systemClock, type Clock } from '@kairos/clock';

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
      controllers: [AccessRequestsController],
      providers: [
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        { provide: POLICY_URL, useValue: config.APPROVAL_POLICY_URL.replace(/\/$/, '') },
        PolicyClient,
        AccessRequestStore,
        AccessRequestQueries,
        AccessRequestUseCases,
        IdempotencyKeys,
        RequestProjection,
        KafkaRelay,
        DecisionRecorder,
      ],
    };
  }
}
