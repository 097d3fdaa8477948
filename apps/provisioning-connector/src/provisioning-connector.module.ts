import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule } from '@kairos/http';
import { PostgresModule } from '@kairos/persistence';
import { KafkaModule } from '@kairos/messaging';
import type { ProvisioningConnectorConfig } from './config';
import { migrations } from './migrations';

@Module({})
export class ProvisioningConnectorModule {
  static forRoot(config: ProvisioningConnectorConfig): DynamicModule {
    return {
      module: ProvisioningConnectorModule,
      imports: [
        PlatformModule.forRoot({ service: 'provisioning-connector', logLevel: config.LOG_LEVEL, auth: { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, jwksUrl: config.AUTH_JWKS_URL } }),
        PostgresModule.forRoot({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations }),
        KafkaModule.forRoot({ brokers: config.KAFKA_BROKERS, clientId: 'provisioning-connector' }),
      ],
    };
  }
}
