import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import * as tls from 'node:tls';
import { GroupCoordinator } from '../groups/group-coordinator';
import { AclStore, AuthorizerOptions } from '../security/acl';
import { MECHANISMS, Mechanism, SaslUser, SaslUsers } from '../security/sasl';
import { OffsetsLog } from '../storage/offsets-log';
import { TopicDefaults } from '../storage/topic-config';
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
  /** Broker-wide defaults for retention.bytes / retention.ms (Kafka's log.retention.*); unlimited when absent. */
  retention?: { bytes?: number; ms?: number };
  segmentBytes?: number;
  /** Kafka's message.max.bytes, the default for each topic's max.message.bytes (Kafka's default 1000012). */
  messageMaxBytes?: number;
  /** How often retention and compaction run (default 5 s). */
  retentionCheckMs?: number;
  initialRebalanceDelayMs?: number;
  minSessionTimeoutMs?: number;
  security?: SecurityOptions;
}

/** PEM strings for a TLS listener; with `ca` and `requireClientCert`, clients must present a certificate it signed. */
export interface TlsOptions {
  cert: string;
  key: string;
  ca?: string;
  requireClientCert?: boolean;
}

export interface SecurityOptions {
  /** The listener speaks TLS (SSL or SASL_SSL). */
  tls?: TlsOptions;
  /** The listener requires SASL (SASL_PLAINTEXT or SASL_SSL) with these users. */
  sasl?: { mechanisms?: Mechanism[]; users: SaslUser[] };
  /** Enables the ACL authorizer (Kafka's AclAuthorizer): without it every principal may do everything. */
  authorizer?: AuthorizerOptions;
}

export interface RunningBroker {
  port: number;
  brokers: string[];
  close(): Promise<void>;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const RETENTION_CHECK_MS = 5_000;
const KAFKA_MESSAGE_MAX_BYTES = 1_000_012;

/** Kafka's principal for a client certificate: `User:` and the subject in RFC 2253 order. */
function certificatePrincipal(socket: tls.TLSSocket): string | null {
  const raw = socket.getPeerCertificate()?.raw;
  if (!raw) return null;
  const subject = new X509Certificate(raw).subject.split('\n').reverse().join(',');
  return `User:${subject}`;
}

export async function startKafkaBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const host = opts.host ?? 'localhost';
  const dataDir = opts.memory ? null : (opts.dataDir ?? null);
  if (dataDir === null && !opts.memory) throw new Error('startKafkaBroker needs a dataDir, or memory: true');
  if (dataDir !== null) fs.mkdirSync(dataDir, { recursive: true });
  const retentionBytes = opts.retention?.bytes;
  const segmentBytes =
    opts.segmentBytes ?? (retentionBytes ? Math.max(4096, Math.min(DEFAULT_SEGMENT_BYTES, Math.floor(retentionBytes / 4))) : DEFAULT_SEGMENT_BYTES);

  const fetchWaiters = new FetchWaiters();
  const defaults: TopicDefaults = {
    retentionBytes: retentionBytes ?? -1,
    retentionMs: opts.retention?.ms ?? -1,
    maxMessageBytes: opts.messageMaxBytes ?? KAFKA_MESSAGE_MAX_BYTES,
    segmentBytes,
  };
  const security = opts.security ?? {};
  const mechanisms = security.sasl?.mechanisms ?? [...MECHANISMS];
  for (const m of mechanisms) if (!MECHANISMS.includes(m)) throw new Error(`unsupported SASL mechanism ${m}`);
  const topics = new TopicStore(dataDir, defaults, (t, p) => fetchWaiters.notify(t, p));
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
    sasl: security.sasl ? new SaslUsers(security.sasl.users, mechanisms) : null,
    acls: security.authorizer ? new AclStore(dataDir, security.authorizer) : null,
    closing: false,
  };

  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server = security.tls
    ? tls.createServer(
        {
          cert: security.tls.cert,
          key: security.tls.key,
          ca: security.tls.ca,
          requestCert: security.tls.requireClientCert === true,
          rejectUnauthorized: security.tls.requireClientCert === true,
          minVersion: 'TLSv1.2',
        },
        (socket) => {
          track(socket);
          new Connection(socket, ctx, certificatePrincipal(socket) ?? undefined);
        },
      )
    : createServer((socket) => {
        track(socket);
        new Connection(socket, ctx);
      });
  if (security.tls) {
    // Handshake failures (plaintext clients, unknown certificates) end that socket only.
    server.on('tlsClientError', (_err, socket) => socket.destroy());
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  ctx.settings.port = port;

  // Topics may set their own retention and cleanup policy at any time, so the check always runs.
  const retentionTimer = setInterval(() => {
    try {
      topics.applyRetention(Date.now());
    } catch (err) {
      process.emitWarning(`kafka-broker: retention failed: ${String(err)}`);
    }
  }, opts.retentionCheckMs ?? RETENTION_CHECK_MS);
  retentionTimer.unref();

  let closed: Promise<void> | null = null;
  return {
    port,
    brokers: [`${host}:${port}`],
    close() {
      closed ??= (async () => {
        ctx.closing = true;
        clearInterval(retentionTimer);
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
