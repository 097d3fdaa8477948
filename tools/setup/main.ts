import { ConfigError, loadConfig, type ConfigSpec } from '@kairos/config';
import { runSetup } from './setup';

/** `kairos setup` (SERVICE=setup in the image): topics and migrations, then exit 0. */
export const setupConfig = {
  KAFKA_BROKERS: { type: 'list', description: 'Kafka bootstrap servers, comma separated host:port' },
  KAFKA_REPLICATION_FACTOR: { type: 'int', min: 1, max: 7, default: 3, description: 'replication factor of the topics setup creates (1 on a single broker)' },
  DATABASE_URL: { type: 'url', protocols: ['postgres', 'postgresql'], secret: true, description: 'PostgreSQL connection string of the database the services share (one schema each)' },
} as const satisfies ConfigSpec;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(setupConfig);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(JSON.stringify({ level: 'error', service: 'setup', msg: 'refusing to start: invalid configuration', problems: error.problems }) + '\n');
      process.exit(78);
    }
    throw error;
  }
  const log = (msg: string) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', service: 'setup', msg }) + '\n');
  const report = await runSetup({ brokers: config.KAFKA_BROKERS, replicationFactor: config.KAFKA_REPLICATION_FACTOR, databaseUrl: config.DATABASE_URL, log });
  log(`setup done: ${report.topicsCreated.length} topics created, ${report.topicsUpdated.length} checked, ${report.migrated.length} services migrated`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    // The message only: a driver error can carry a connection string.
    process.stderr.write(JSON.stringify({ level: 'error', service: 'setup', msg: 'setup failed', error: error.message.replace(/\/\/[^@/\s]*@/g, '//****@') }) + '\n');
    process.exit(1);
  },
);
