import { ConfigError, kafkaConnection, loadConfig } from '@kairos/config';
import { setupConfig } from './main.config';
import { runSetup } from './setup';

/** `kairos setup` (SERVICE=setup in the image): topics and migrations, then exit 0. */


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
  const report = await runSetup({ connection: kafkaConnection(config), replicationFactor: config.KAFKA_REPLICATION_FACTOR, databaseUrl: config.DATABASE_URL, log });
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
