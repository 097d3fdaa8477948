import { startKafkaBroker, BrokerOptions } from './server/broker';

function parseArgs(argv: string[]): BrokerOptions {
  const opts: BrokerOptions = { port: 9092 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--port':
        opts.port = Number(value());
        break;
      case '--host':
        opts.host = value();
        break;
      case '--data':
        opts.dataDir = value();
        break;
      case '--memory':
        opts.memory = true;
        break;
      case '--partitions':
        opts.numPartitions = Number(value());
        break;
      case '--no-auto-create':
        opts.autoCreateTopics = false;
        break;
      case '--retention-bytes':
        opts.retention = { ...opts.retention, bytes: Number(value()) };
        break;
      case '--retention-ms':
        opts.retention = { ...opts.retention, ms: Number(value()) };
        break;
      case '--rebalance-delay-ms':
        opts.initialRebalanceDelayMs = Number(value());
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (!opts.memory && !opts.dataDir) throw new Error('pass --data <dir> or --memory');
  return opts;
}

async function main(): Promise<void> {
  const broker = await startKafkaBroker(parseArgs(process.argv.slice(2)));
  process.stdout.write(`kafka-broker ready on ${broker.brokers[0]}\n`);
  const stop = () => {
    broker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`kafka-broker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
