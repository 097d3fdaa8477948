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
