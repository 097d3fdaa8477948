import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDBClient, jsonEvent, type AppendToStreamOptions } from '@eventstore/db-client';
import { startEventStoreServer, type EventStoreServerOptions, type RunningEventStoreServer } from '../src';

export interface TestServer {
  readonly server: RunningEventStoreServer;
  readonly client: EventStoreDBClient;
  readonly dataDir: string | null;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'kairos-esdb-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestServer(options: Partial<EventStoreServerOptions> = {}): Promise<TestServer> {
  const dataDir = options.memory ? null : (options.dataDir ?? tempDir());
  const server = await startEventStoreServer({ port: 0, ...(dataDir ? { dataDir } : { memory: true }), ...options });
  const client = EventStoreDBClient.connectionString(server.connectionString);
  return {
    server,
    client,
    dataDir,
    stop: async () => {
      await client.dispose().catch(() => undefined);
      await server.close();
      if (dataDir && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Per-call credentials make the client use `Streams.Append` instead of `BatchAppend` (they are dropped in plaintext). */
export const VIA_APPEND: Pick<AppendToStreamOptions, 'credentials'> = { credentials: { username: 'admin', password: 'changeit' } };
export const VIA_BATCH_APPEND: Pick<AppendToStreamOptions, 'credentials'> = {};

export const APPEND_PATHS = [
  ['Streams.Append', VIA_APPEND],
  ['Streams.BatchAppend', VIA_BATCH_APPEND],
] as const;

export function events(count: number, type = 'Happened', from = 0): ReturnType<typeof jsonEvent>[] {
  return Array.from({ length: count }, (_, i) => jsonEvent({ type, data: { n: from + i } }));
}

export function uniqueStream(prefix = 'stream'): string {
  return `${prefix}-${Math.random().toString(36).slice(2)}`;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
