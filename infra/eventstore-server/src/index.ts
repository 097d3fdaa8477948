import { readFileSync } from 'node:fs';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { FileLog, LOG_START, MemoryLog, type CommitLog } from './storage/commit-log';
import { EventStore } from './storage/event-store';
import { serverFeaturesService } from './grpc/server-features';
import { streamsService } from './grpc/streams-service';
import type { Users } from './grpc/authentication';

export interface EventStoreServerOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Directory of the durable log; required unless `memory` is set. */
  readonly dataDir?: string;
  readonly memory?: boolean;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Basic-auth users, checked over TLS only (credentials never travel in plaintext). Default admin/changeit. */
  readonly users?: Record<string, string>;
  /** Bytes per append (data + metadata + 2 × type), as EventStoreDB counts them. */
  readonly maxAppendSize?: number;
}

export interface RunningEventStoreServer {
  readonly port: number;
  readonly connectionString: string;
  /** Bytes of a torn tail cut off when the log was opened. */
  readonly recoveredTruncatedBytes: number;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 17 * 1024 * 1024;
export const DEFAULT_MAX_APPEND_SIZE = 1_048_576;

export async function startEventStoreServer(options: EventStoreServerOptions = {}): Promise<RunningEventStoreServer> {
  if (!options.memory && !options.dataDir) throw new Error('startEventStoreServer needs a dataDir, or memory: true');
  const host = options.host ?? '127.0.0.1';
  const opened = openStore(options);
  const { store } = opened;
  await store.seedIfEmpty();

  const users: Users | null = options.tls ? (options.users ?? { admin: 'changeit' }) : null;
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.keepalive_permit_without_calls': 1,
  });
  server.addService(ServerFeaturesService, serverFeaturesService());
  server.addService(StreamsService, streamsService(store, { maxAppendSize: options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE, users }));

  const credentials = options.tls
    ? ServerCredentials.createSsl(
        null,
        [{ cert_chain: readFileSync(options.tls.certFile), private_key: readFileSync(options.tls.keyFile) }],
        false,
      )
    : ServerCredentials.createInsecure();
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${options.port ?? 0}`, credentials, (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
  } catch (error) {
    await store.close();
    throw error;
  }
  const clientHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  let closing: Promise<void> | null = null;
  return {
    port,
    connectionString: `esdb://${clientHost.includes(':') ? `[${clientHost}]` : clientHost}:${port}?tls=${options.tls ? 'true' : 'false'}`,
    recoveredTruncatedBytes: opened.truncatedBytes,
    close: () => {
      // Subscriptions never end on their own, so in-flight calls are cancelled; acknowledged writes are already durable.
      closing ??= (async () => {
        server.forceShutdown();
        await store.close();
      })();
      return closing;
    },
  };
}

function openStore(options: EventStoreServerOptions): { store: EventStore; truncatedBytes: number } {
  if (options.memory) return { store: new EventStore(new MemoryLog(), LOG_START), truncatedBytes: 0 };
  const recovered: Parameters<EventStore['recover']>[0][] = [];
  const { log, end, truncatedBytes } = FileLog.open(options.dataDir!, (record) => recovered.push(record));
  const store = new EventStore(log as CommitLog, end);
  for (const record of recovered) store.recover(record);
  return { store, truncatedBytes };
}
