import 'reflect-metadata';
import { EventStoreDBClient } from '@eventstore/db-client';
import { loadConfig, ConfigError } from '@kairos/config';
import { openServiceDataSource } from '@kairos/persistence';
import { systemClock } from '@kairos/clock';
import { EventStoreEventLog } from './adapters/eventstore/event-log';
import { EventStoreStreams } from './adapters/eventstore/stored-streams';
import { AuditTables } from './adapters/postgres/audit-schema';
import { PgRecordedChains } from './adapters/postgres/recorded-chains';
import { PgReplayTarget } from './adapters/postgres/replay-target';
import { config } from './config';
import { migrations } from './migrations';
import { formatReplayReport, replayAndCompare } from './use-cases/replay/replay';
import { formatVerification } from './use-cases/verify-streams/format-verification';
import { VerifyStreams } from './use-cases/verify-streams/verify-streams';

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
      const report = await replayAndCompare({ log: new EventStoreEventLog(client), target: new PgReplayTarget(db, tables), keepScratch: rest.includes('--keep') });
      process.stdout.write(`${formatReplayReport(report)}\n`);
      return report.equal ? 0 : 1;
    }
    const report = await new VerifyStreams(new PgRecordedChains(db, tables), new EventStoreStreams(client), systemClock).run();
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
