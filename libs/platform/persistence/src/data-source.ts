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
    // Two replicas starting together (or a replica and `kairos setup`) never race: one migrates,
    // the other waits for the lock and then finds nothing left to do.
    await withMigrationLock(dataSource, options.schema, async () => {
      await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
      await dataSource.runMigrations({ transaction: 'each' });
    });
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

export async function probePostgres(dataSource: DataSource): Promise<void> {
  await dataSource.query('SELECT 1');
}

/** The advisory lock class of schema migrations ('KM'); the second key is the schema's hash. */
const MIGRATION_LOCK_CLASS = 0x4b4d;

/**
 * Runs `work` holding the PostgreSQL session advisory lock of `schema`'s migrations, on a connection
 * of its own. The lock is released when `work` ends, or by PostgreSQL if this process dies.
 */
export async function withMigrationLock<T>(dataSource: DataSource, schema: string, work: () => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]).catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}
