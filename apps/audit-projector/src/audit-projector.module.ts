import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule } from '@kairos/http';
import { PostgresModule } from '@kairos/persistence';
import { EventStoreModule } from '@kairos/event-store';
import type { AuditProjectorConfig } from './config';
import { CLOCK, systemClock, type Clock } from './domain/clock';
import { AuditController } from './http/audit.controller';
import { migrations } from './migrations';
import { AuditTables } from './projection/audit-schema';
import { LiveProjection } from './projection/live-projection';

@Module({})
export class AuditProjectorModule {
  static forRoot(config: AuditProjectorConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AuditProjectorModule,
      imports: [
        PlatformModule.forRoot({ service: 'audit-projector', logLevel: config.LOG_LEVEL, auth: { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, jwksUrl: config.AUTH_JWKS_URL } }),
        PostgresModule.forRoot({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations }),
        EventStoreModule.forRoot({ connectionString: config.EVENTSTORE_URL }),
      ],
      controllers: [AuditController],
      providers: [
        { provide: AuditTables, useValue: new AuditTables(config.DATABASE_SCHEMA) },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        LiveProjection,
      ],
    };
  }
}
