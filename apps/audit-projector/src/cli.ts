import 'reflect-metadata';
import { EventStoreDBClient } from '@eventstore/db-client';
import { loadConfig, ConfigError } from '@kairos/config';
import { openServiceDataSource } from '@kairos/persistence';
import { config } from './config';
import { systemClock } from './domain/clock';
import { migrations } from './migrations';
import { AuditTables } from './projection/audit-schema';
import { formatReplayReport, replayAndCompare } from './replay/replay';
import { formatVerification } from './verification/format-verification';
import { verifyAllStreams } from './verification/verify-streams';

const cliConfig = { DATABASE_URL: config.DATABASE_URL, DATABASE_SCHEMA: config.DATABASE_SCHEMA, EVENTSTORE_URL: config.EVENTSTORE_URL } as const;

const USAGE = 'usage: npm run audit -- replay [--keep]   rebuild every projection into a scratch schema and compare with the live one\n       npm run audit -- verify            prove every request stream is complete and unaltered';

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'replay' && command !== 'verify') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let c;
  try {
    c = loadConfig(cliConfig);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 78;
    }
    throw error;
  }
  const db = await openServiceDataSource({ url: c.DATABASE_URL, schema: c.DATABASE_SCHEMA, migrations, poolSize: 2 });
  const client = EventStoreDBClient.connectionString(c.EVENTSTORE_URL);
  const tables = new AuditTables(c.DATABASE_SCHEMA);
  try {
    if (command === 'replay') {
      const report = await replayAndCompare({ client, db, live: tables, keepScratch: rest.includes('--keep') });
      process.stdout.write(`${formatReplayReport(report)}\n`);
      return report.equal ? 0 : 1;
    }
    const report = await verifyAllStreams(client, db, tables, systemClock);
    process.stdout.write(`${formatVerification(report)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await client.dispose();
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
