import { readFileSync } from 'node:fs';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { EventStore } from './storage/event-store';
import { serverFeaturesService } from './grpc/server-features';
import { streamsService, streamsServiceDefinition } from './grpc/streams-service';
import type { UserGroups, Users } from './grpc/authentication';

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
  /** Groups per user (`$admins` may do anything). Default: admin in `$admins`, ops in `$ops`. */
  readonly userGroups?: UserGroups;
  /** Bytes per append (data + metadata + 2 × type), as EventStoreDB counts them. Default 1 MiB. */
  readonly maxAppendSize?: number;
  /** Bytes per log segment file (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Longest wait for the last chunk of a batch append (EventStoreDB's WriteTimeoutMs, default 2000). */
  readonly writeTimeoutMs?: number;
  /** Told when writes stop (a full disk: refused with UNAVAILABLE and the reason) and when they resume. */
  readonly onWriteState?: (message: string) => void;
  /** After a failed write, how often the server checks whether it can write again (default 1 s). */
  readonly resumeCheckMs?: number;
}

export interface RunningEventStoreServer {
  readonly port: number;
  readonly connectionString: string;
  /** Bytes of a torn tail cut off when the log was opened. */
  readonly recoveredTruncatedBytes: number;
  close(): Promise<void>;
}

const MIN_MESSAGE_BYTES = 17 * 1024 * 1024;
export const DEFAULT_MAX_APPEND_SIZE = 1_048_576;

export async function startEventStoreServer(options: EventStoreServerOptions = {}): Promise<RunningEventStoreServer> {
  if (!options.memory && !options.dataDir) throw new Error('startEventStoreServer needs a dataDir, or memory: true');
  const host = options.host ?? '127.0.0.1';
  const maxAppendSize = options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE;
  if (!Number.isSafeInteger(maxAppendSize) || maxAppendSize <= 0) throw new Error('maxAppendSize must be a positive number of bytes');
  const opened = EventStore.open({
    memory: options.memory,
    dataDir: options.dataDir,
    segmentBytes: options.segmentBytes,
    ...(options.onWriteState ? { onWriteState: options.onWriteState } : {}),
    ...(options.resumeCheckMs ? { resumeCheckMs: options.resumeCheckMs } : {}),
  });
  const { store } = opened;
  await store.seedIfEmpty();

  const users: Users | null = options.tls ? (options.users ?? { admin: 'changeit' }) : null;
  // A message must hold the largest append the server accepts (plus framing).
  const messageBytes = Math.max(MIN_MESSAGE_BYTES, maxAppendSize + 1024 * 1024);
  const server = new Server({
    'grpc.max_receive_message_length': messageBytes,
    'grpc.max_send_message_length': messageBytes,
    'grpc.keepalive_permit_without_calls': 1,
  });
  const streams = streamsService(store, { maxAppendSize, users, groups: options.userGroups, writeTimeoutMs: options.writeTimeoutMs });
  server.addService(ServerFeaturesService, serverFeaturesService());
  server.addService(streamsServiceDefinition, streams.implementation);

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
      // Writes already accepted finish; every call still open (subscriptions, unfinished batches)
      // is answered UNAVAILABLE, as a stopping EventStoreDB answers, so clients reconnect elsewhere.
      closing ??= (async () => {
        await store.stopWriting();
        streams.shutdown();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 1_000);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        });
        await store.close();
      })();
      return closing;
    },
  };
}
