import { Kafka, logLevel, type Admin } from 'kafkajs';
import { TOPICS } from '@kairos/contracts';
import { deadLetterTopicFor } from './consumer';

/**
 * Every Kafka topic Kairos uses, with the settings Kairos decides (not the broker's defaults):
 * `kairos setup` creates exactly these, and nothing else creates topics. Partitions bound how many
 * replicas of a consumer share the work; records are keyed by request id, so order per request holds.
 */
export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  readonly purpose: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The consumer groups (one per consuming service); each has its dead-letter topic `<group>.dlq`. */
export const CONSUMER_GROUPS = ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'notifier'] as const;

export const KAIROS_TOPICS: readonly TopicSpec[] = [
  { topic: TOPICS.accessRequestEvents, partitions: 12, retentionMs: 30 * DAY_MS, cleanupPolicy: 'delete', purpose: 'every request event, CloudEvents, for downstream systems and the services (key = request id)' },
  { topic: TOPICS.approvalDecisions, partitions: 6, retentionMs: 7 * DAY_MS, cleanupPolicy: 'delete', purpose: 'reviews accepted by the policy service, recorded by the request service' },
  { topic: TOPICS.provisioningResults, partitions: 6, retentionMs: 7 * DAY_MS, cleanupPolicy: 'delete', purpose: 'grant and revocation outcomes from the connector' },
  { topic: TOPICS.expiryEvents, partitions: 6, retentionMs: 7 * DAY_MS, cleanupPolicy: 'delete', purpose: 'timers fired by the expiry scheduler' },
  { topic: TOPICS.notifierEscalations, partitions: 6, retentionMs: 7 * DAY_MS, cleanupPolicy: 'delete', purpose: 'review escalations asked for by the notifier' },
  ...CONSUMER_GROUPS.map((group) => ({
    topic: deadLetterTopicFor(group),
    partitions: 1,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete' as const,
    purpose: `messages ${group} refused or could not handle, for an operator to inspect and replay`,
  })),
];

/** The topic configs as Kafka's CreateTopics takes them, for a replication factor. */
export function topicConfigEntries(spec: TopicSpec, replicationFactor: number): { name: string; value: string }[] {
  return [
    { name: 'retention.ms', value: String(spec.retentionMs) },
    { name: 'cleanup.policy', value: spec.cleanupPolicy },
    // A write is acknowledged by two replicas wherever there are at least three.
    { name: 'min.insync.replicas', value: String(replicationFactor >= 3 ? 2 : 1) },
  ];
}

export interface TopicsReport {
  readonly created: string[];
  readonly updated: string[];
}

/**
 * Creates every topic of KAIROS_TOPICS that is missing, with Kairos's partitions and configs, and
 * brings existing ones back to them (partitions only ever grow). The one way topics come to exist:
 * `kairos setup` runs it, and so do the test harnesses before they start a service (producers and
 * consumers never create topics). `kafka` may be a client or the brokers of a plaintext cluster.
 */
export async function ensureKairosTopics(kafka: Kafka | readonly string[], options: { replicationFactor?: number; log?: (msg: string) => void } = {}): Promise<TopicsReport> {
  const replicationFactor = options.replicationFactor ?? 1;
  const log = options.log ?? (() => undefined);
  const client = isBrokerList(kafka) ? new Kafka({ clientId: 'kairos-topics', brokers: [...kafka], logLevel: logLevel.NOTHING }) : kafka;
  const admin: Admin = client.admin();
  await admin.connect();
  try {
    return await ensureOn(admin, replicationFactor, log);
  } finally {
    await admin.disconnect();
  }
}

const isBrokerList = (k: Kafka | readonly string[]): k is readonly string[] => Array.isArray(k);

async function ensureOn(admin: Admin, replicationFactor: number, log: (msg: string) => void): Promise<TopicsReport> {
  const report: TopicsReport = { created: [], updated: [] };
  const existing = new Set(await admin.listTopics());
  const missing = KAIROS_TOPICS.filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) {
    // Another setup (a second replica's Job, a parallel test) may create some at the same moment: fine.
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({ topic: spec.topic, numPartitions: spec.partitions, replicationFactor, configEntries: topicConfigEntries(spec, replicationFactor) })),
    });
    for (const spec of missing) {
      report.created.push(spec.topic);
      log(`created topic ${spec.topic} (${spec.partitions} partitions, replication ${replicationFactor})`);
    }
  }
  const present = KAIROS_TOPICS.filter((spec) => existing.has(spec.topic));
  if (present.length === 0) return report;
  const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
  const grow = present.filter((spec) => (metadata.topics.find((t) => t.name === spec.topic)?.partitions.length ?? 0) < spec.partitions);
  if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow.map((spec) => ({ topic: spec.topic, count: spec.partitions })) });
  await admin.alterConfigs({
    validateOnly: false,
    resources: present.map((spec) => ({ type: 2 /* TOPIC */, name: spec.topic, configEntries: topicConfigEntries(spec, replicationFactor) })),
  });
  for (const spec of present) report.updated.push(spec.topic);
  log(`checked ${present.length} existing topics${grow.length > 0 ? `; grew ${grow.map((s) => s.topic).join(', ')}` : ''}`);
  return report;
}
