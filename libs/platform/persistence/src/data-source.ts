import { DataSource, type EntitySchema, type MixedList } from 'typeorm';

export interface ServiceDataSourceOptions {
  readonly url: string;
  /** Each service owns one schema; its tables and migration history live there. */
  readonly schema: string;
  readonly entities?: MixedList<string | Function | EntitySchema>;
  readonly migrations: MixedList<string | Function>;
  readonly poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens the service's PostgreSQL connection pool, creates its schema and runs its migrations.
 * `synchronize` is never used: the schema changes only through reviewed migrations.
 */
export async function openServiceDataSource(options: ServiceDataSourceOptions): Promise<DataSource> {
  if (!SCHEMA_NAME.test(options.schema)) throw new Error(`DATABASE_SCHEMA "${options.schema}" is not a valid schema name`);
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    poolSize: options.poolSize ?? 10,
    extra: { options: `-c search_path=${options.schema},public`, application_name: options.schema },
  });
  await dataSource.initialize();
  try {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

export async function probePostgres(dataSource: DataSource): Promise<void> {
  await dataSource.query('SELECT 1');
}
