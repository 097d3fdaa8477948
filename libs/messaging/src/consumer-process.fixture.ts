/**
 * A consumer in a process of its own, for the membership tests (consumer-membership.int.spec.ts):
 * they kill it with kill -9 or stop it with SIGTERM, as an operator or a crash would.
 * Prints "started" when start() returned, "joined" on the first group join, "handled <id>" per message.
 */
import { Kafka, logLevel } from 'kafkajs';
import { messageKeys } from '@kairos/config';
import { openServiceDataSource } from '@kairos/persistence';
import { bindMessageAuthentication, messageAuthentication } from './authentication';
import { MessagingRuntime } from './messaging-runtime';
import { messagingMigrations } from './migrations';

async function main(): Promise<void> {
  const env = process.env;
  const dataSource = await openServiceDataSource({ url: env.DATABASE_URL!, schema: env.DATABASE_SCHEMA!, migrations: messagingMigrations });
  const kafka = bindMessageAuthentication(
    new Kafka({ clientId: 'fixture', brokers: [env.KAFKA_BROKERS!], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } }),
    messageAuthentication(messageKeys(env as unknown as Parameters<typeof messageKeys>[0])),
  );
  const runtime = new MessagingRuntime({
    kafka,
    dataSource,
    groupId: env.GROUP!,
    topics: [env.TOPIC!],
    outbox: false,
    log: { warn: () => undefined, error: () => undefined },
    handle: async (message) => void process.stdout.write(`handled ${message.id}\n`),
  });
  await runtime.start();
  process.stdout.write('started\n');
  process.once('SIGTERM', () => {
    void runtime.stop().then(() => process.exit(0));
  });
  await runtime.joined();
  process.stdout.write('joined\n');
}

void main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
