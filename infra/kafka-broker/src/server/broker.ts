import * as fs from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { GroupCoordinator } from '../groups/group-coordinator';
import { OffsetsLog } from '../storage/offsets-log';
import { TopicStore } from '../storage/topic-store';
import { Connection } from './connection';
import { BrokerContext } from './context';
import { FetchWaiters } from './fetch-waiters';
import { ProducerIdAllocator } from './producer-ids';

export interface BrokerOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  memory?: boolean;
  numPartitions?: number;
  autoCreateTopics?: boolean;
  retention?: { bytes?: number; ms?: number };
  segmentBytes?: number;
  initialRebalanceDelayMs?: number;
  minSessionTimeoutMs?: number;
}

export interface RunningBroker {
  port: number;
  brokers: string[];
  close(): Promise<void>;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const RETENTION_CHECK_MS = 5_000;

export async function startKafkaBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const host = opts.host ?? 'localhost';
  const dataDir = opts.memory ? null : (opts.dataDir ?? null);
  if (dataDir === null && !opts.memory) throw new Error('startKafkaBroker needs a dataDir, or memory: true');
  if (dataDir !== null) fs.mkdirSync(dataDir, { recursive: true });
  const retentionBytes = opts.retention?.bytes;
  const segmentBytes =
    opts.segmentBytes ?? (retentionBytes ? Math.max(4096, Math.min(DEFAULT_SEGMENT_BYTES, Math.floor(retentionBytes / 4))) : DEFAULT_SEGMENT_BYTES);

  const fetchWaiters = new FetchWaiters();
  const topics = new TopicStore(dataDir, { segmentBytes, retentionBytes, retentionMs: opts.retention?.ms }, (t, p) => fetchWaiters.notify(t, p));
  const offsets = new OffsetsLog(dataDir);
  const highestProducerId = Math.max(-1, ...topics.all().flatMap((t) => t.partitions.map((p) => p.producers.maxProducerId())));
  const ctx: BrokerContext = {
    settings: {
      nodeId: 0,
      host,
      port: 0,
      clusterId: 'kairos-local',
      numPartitions: opts.numPartitions ?? 1,
      autoCreateTopics: opts.autoCreateTopics ?? true,
      maxBatchBytes: 64 * 1024 * 1024,
    },
    topics,
    groups: new GroupCoordinator(offsets, {
      initialRebalanceDelayMs: opts.initialRebalanceDelayMs ?? 0,
      minSessionTimeoutMs: opts.minSessionTimeoutMs ?? 1_000,
      maxSessionTimeoutMs: 30 * 60 * 1000,
    }),
    fetchWaiters,
    producerIds: new ProducerIdAllocator(dataDir, highestProducerId + 1),
    closing: false,
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Connection(socket, ctx);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  ctx.settings.port = port;

  const retentionTimer =
    opts.retention?.bytes !== undefined || opts.retention?.ms !== undefined
      ? setInterval(() => topics.applyRetention(Date.now()), RETENTION_CHECK_MS)
      : null;
  retentionTimer?.unref();

  let closed: Promise<void> | null = null;
  return {
    port,
    brokers: [`${host}:${port}`],
    close() {
      closed ??= (async () => {
        ctx.closing = true;
        if (retentionTimer) clearInterval(retentionTimer);
        fetchWaiters.wakeAll();
        ctx.groups.shutdown();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await stopped;
        topics.close();
        offsets.close();
      })();
      return closed;
    },
  };
}
