import { Module, type DynamicModule } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import { DataSource } from 'typeorm';
import { CLOCK, systemClock, type Clock } from '@kairos/clock';
import { EventStoreModule, PgParkedEvents } from '@kairos/event-store';
import { PlatformModule } from '@kairos/http';
import { PostgresModule } from '@kairos/persistence';
import { EventStoreStreams } from './adapters/eventstore/stored-streams';
import { LiveProjection } from './adapters/eventstore/live-projection';
import { AuditController } from './adapters/http/audit.controller';
import { AuditQueries } from './adapters/postgres/audit-queries';
import { AuditTables } from './adapters/postgres/audit-schema';
import { PgRecordedChains } from './adapters/postgres/recorded-chains';
import type { AuditProjectorConfig } from './config';
import { migrations } from './migrations';
import { ExportEvidence } from './use-cases/export-evidence/export-evidence';
import { QueryAudit } from './use-cases/query-audit/query-audit';
import { SummarizeAccess } from './use-cases/summarize-access/summarize-access';
import { VerifyStreams } from './use-cases/verify-streams/verify-streams';

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
        { provide: AuditQueries, useFactory: (db: DataSource, tables: AuditTables) => new AuditQueries(db, tables), inject: [DataSource, AuditTables] },
        {
          provide: QueryAudit,
          useFactory: (db: DataSource, tables: AuditTables, queries: AuditQueries) => new QueryAudit(queries, new PgParkedEvents(db, tables.schema)),
          inject: [DataSource, AuditTables, AuditQueries],
        },
        { provide: SummarizeAccess, useFactory: (queries: AuditQueries, clock: Clock) => new SummarizeAccess(queries, clock), inject: [AuditQueries, CLOCK] },
        { provide: ExportEvidence, useFactory: (queries: AuditQueries, clock: Clock) => new ExportEvidence(queries, clock), inject: [AuditQueries, CLOCK] },
        {
          provide: VerifyStreams,
          useFactory: (db: DataSource, tables: AuditTables, client: EventStoreDBClient, clock: Clock) =>
            new VerifyStreams(new PgRecordedChains(db, tables), new EventStoreStreams(client), clock),
          inject: [DataSource, AuditTables, EventStoreDBClient, CLOCK],
        },
        LiveProjection,
      ],
    };
  }
}
