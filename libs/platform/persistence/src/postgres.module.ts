import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ReadinessRegistry } from '@kairos/http';
import { openServiceDataSource, probePostgres, type ServiceDataSourceOptions } from './data-source';

@Global()
@Module({})
export class PostgresModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly readiness: ReadinessRegistry,
  ) {}

  static forRoot(options: ServiceDataSourceOptions): DynamicModule {
    return {
      module: PostgresModule,
      providers: [{ provide: DataSource, useFactory: () => openServiceDataSource(options) }],
      exports: [DataSource],
    };
  }

  onModuleInit(): void {
    this.readiness.register('postgres', () => probePostgres(this.dataSource));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
