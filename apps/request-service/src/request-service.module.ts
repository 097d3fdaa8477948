import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule } from '@kairos/http';
import { PostgresModule } from '@kairos/persistence';
import { KafkaModule } from '@kairos/messaging';
import { EventStoreModule } from '@kairos/event-store';
import type { RequestServiceConfig } from './config';
import { migrations } from './migrations';

@Module({})
export class RequestServiceModule {
  static forRoot(config: RequestServiceConfig): DynamicModule {
    return {
      module: RequestServiceModule,
      imports: [
        PlatformModule.forRoot({ service: 'request-service', logLevel: config.LOG_LEVEL, auth: { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, jwksUrl: config.AUTH_JWKS_URL } }),
        PostgresModule.forRoot({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations }),
        KafkaModule.forRoot({ brokers: config.KAFKA_BROKERS, clientId: 'request-service' }),
        EventStoreModule.forRoot({ connectionString: config.EVENTSTORE_URL }),
      ],
    };
  }
}
