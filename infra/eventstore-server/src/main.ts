import { startEventStoreServer, type EventStoreServerOptions } from './index';

function positiveBytes(text: string, what: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(text.trim());
  const value = match ? Number(match[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g'] : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${what} must be a positive number of bytes (suffix k, m or g allowed)`);
  return value;
}

/** Flags win over the environment; EVENTSTORE_MAX_APPEND_SIZE is the name EventStoreDB reads too. */
function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): EventStoreServerOptions {
  const options: { -readonly [K in keyof EventStoreServerOptions]: EventStoreServerOptions[K] } = {};
  if (env.EVENTSTORE_MAX_APPEND_SIZE) options.maxAppendSize = positiveBytes(env.EVENTSTORE_MAX_APPEND_SIZE, 'EVENTSTORE_MAX_APPEND_SIZE');
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
      case '--user-groups': {
        const [name, list = ''] = value().split(':');
        options.userGroups = { ...options.userGroups, [name]: list.split(',').filter(Boolean) };
        break;
      }
      case '--max-append-size':
        options.maxAppendSize = positiveBytes(value(), '--max-append-size');
        break;
      case '--write-timeout-ms':
        options.writeTimeoutMs = positiveBytes(value(), '--write-timeout-ms');
        break;
      case '--segment-size':
        options.segmentBytes = positiveBytes(value(), '--segment-size');
        break;
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
    options = parseArgs(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(
      `${(error as Error).message}\nusage: eventstore [--port 2113] [--host 127.0.0.1] (--data <dir> | --memory) [--tls-cert f --tls-key f] [--user name:password] [--user-groups name:$admins,group] [--max-append-size 1m] [--segment-size 64m] [--write-timeout-ms 2000]`,
    );
    process.exit(2);
  }
  const server = await startEventStoreServer({ port: 2113, ...options, onWriteState: (message) => console.error(`eventstore: ${message}`) });
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
