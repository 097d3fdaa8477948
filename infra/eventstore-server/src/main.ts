import { startEventStoreServer, type EventStoreServerOptions } from './index';

function parseArgs(argv: readonly string[]): EventStoreServerOptions {
  const options: { -readonly [K in keyof EventStoreServerOptions]: EventStoreServerOptions[K] } = {};
  let cert: string | undefined;
  let key: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--port':
        options.port = Number(value());
        if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
        break;
      case '--host':
        options.host = value();
        break;
      case '--data':
        options.dataDir = value();
        break;
      case '--memory':
        options.memory = true;
        break;
      case '--tls-cert':
        cert = value();
        break;
      case '--tls-key':
        key = value();
        break;
      case '--user': {
        const [name, ...rest] = value().split(':');
        options.users = { ...options.users, [name]: rest.join(':') };
        break;
      }
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  if (cert || key) {
    if (!cert || !key) throw new Error('--tls-cert and --tls-key go together');
    options.tls = { certFile: cert, keyFile: key };
  }
  if (!options.memory && !options.dataDir) throw new Error('give --data <dir> or --memory');
  return options;
}

async function main(): Promise<void> {
  let options: EventStoreServerOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(
      `${(error as Error).message}\nusage: eventstore [--port 2113] [--host 127.0.0.1] (--data <dir> | --memory) [--tls-cert f --tls-key f] [--user name:password]`,
    );
    process.exit(2);
  }
  const server = await startEventStoreServer({ port: 2113, ...options });
  if (server.recoveredTruncatedBytes > 0)
    console.error(`eventstore: cut ${server.recoveredTruncatedBytes} bytes of an unacknowledged tail`);
  console.log(`eventstore ready ${server.connectionString}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
