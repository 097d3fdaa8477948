import { existsSync, readdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { ConfigSpec, KafkaConnection } from '@kairos/config';
import { createKafkaClient, ensureKairosTopics } from '@kairos/messaging';
import { openServiceDataSource } from '@kairos/persistence';

/**
 * `kairos setup`: everything a release needs before its services start, done once for the whole
 * platform (a Kubernetes Job, a compose one-shot, or `npm start` before the services):
 *  - every Kafka topic of KAIROS_TOPICS with its partitions, replication factor, retention and
 *    cleanup policy, and each consumer group's dead-letter topic (partitions only ever grow;
 *    configs are brought back to Kairos's values);
 *  - each service's migrations, in its own schema, under the advisory lock the services take too.
 */
export interface SetupOptions {
  readonly kafka?: Kafka;
  readonly brokers?: readonly string[];
  /** TLS, SASL and the topic prefix (`kafkaConnection(config)`); `brokers` alone is plaintext. */
  readonly connection?: KafkaConnection;
  readonly replicationFactor: number;
  readonly databaseUrl?: string;
  /** Services whose migrations to run; every service found when omitted. */
  readonly services?: readonly string[];
  readonly log?: (msg: string) => void;
}

export interface SetupReport {
  readonly topicsCreated: string[];
  readonly topicsUpdated: string[];
  readonly migrated: { service: string; schema: string; applied: number }[];
}

export async function runSetup(options: SetupOptions): Promise<SetupReport> {
  const log = options.log ?? (() => undefined);
  const kafka = options.kafka ?? createKafkaClient('kairos-setup', options.connection ?? { brokers: options.brokers ?? [], topicPrefix: '' });
  // Topics and every service's migrations at once: each service migrates its own schema under its
  // own advisory lock, so none waits for another (start-up time, issue 17).
  const databaseUrl = options.databaseUrl;
  const [topics, migrated] = await Promise.all([
    ensureKairosTopics(kafka, { replicationFactor: options.replicationFactor, log }),
    databaseUrl ? Promise.all((options.services ?? migratingServices()).map((service) => migrate(service, databaseUrl, log))) : [],
  ]);
  return { topicsCreated: [...topics.created], topicsUpdated: [...topics.updated], migrated };
}

async function migrate(service: string, url: string, log: (msg: string) => void): Promise<SetupReport['migrated'][number]> {
  const { migrations, schema } = serviceMigrations(service);
  const dataSource = await openServiceDataSource({ url, schema, migrations, poolSize: 2 });
  try {
    const [row] = (await dataSource.query('SELECT count(*)::int AS n FROM migrations')) as { n: number }[];
    log(`migrated ${service} (schema ${schema}, ${row?.n ?? 0} migrations applied)`);
    return { service, schema, applied: row?.n ?? 0 };
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Where the services are: beside this file's build (dist/apps/<service>/apps/<service>/src) in the
 * image, or the repository's apps/<service>/src when run from source.
 */
function servicesRoot(): { kind: 'dist' | 'source'; dir: string } {
  const marker = `${sep}dist${sep}apps${sep}setup${sep}`;
  const at = __filename.indexOf(marker);
  if (at >= 0) return { kind: 'dist', dir: __filename.slice(0, at + `${sep}dist${sep}apps`.length) };
  return { kind: 'source', dir: resolve(__dirname, '..', '..', 'apps') };
}

function serviceDir(service: string): string {
  const where = servicesRoot();
  return where.kind === 'dist' ? join(where.dir, service, 'apps', service, 'src') : join(where.dir, service, 'src');
}

/** Every service that has migrations. */
export function migratingServices(): string[] {
  const where = servicesRoot();
  return readdirSync(where.dir)
    .filter((name) => name !== 'setup' && ['migrations.js', 'migrations.ts'].some((file) => existsSync(join(serviceDir(name), file))))
    .sort();
}

function serviceMigrations(service: string): { migrations: Function[]; schema: string } {
  const dir = serviceDir(service);
  const { migrations } = require(join(dir, 'migrations')) as { migrations: Function[] };
  const { config } = require(join(dir, 'config')) as { config: ConfigSpec };
  const schema = process.env[`${service.toUpperCase().replace(/-/g, '_')}_DATABASE_SCHEMA`] ?? String(config.DATABASE_SCHEMA?.default ?? '');
  if (!schema) throw new Error(`${service} declares no DATABASE_SCHEMA default`);
  return { migrations, schema };
}
