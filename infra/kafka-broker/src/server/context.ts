import { GroupCoordinator } from '../groups/group-coordinator';
import { ErrorCode } from '../protocol/errors';
import { Topic, TopicStore, isLegalTopicName } from '../storage/topic-store';
import { FetchWaiters } from './fetch-waiters';
import { ProducerIdAllocator } from './producer-ids';

export interface BrokerSettings {
  nodeId: number;
  host: string;
  port: number;
  clusterId: string;
  numPartitions: number;
  autoCreateTopics: boolean;
  maxBatchBytes: number;
}

export interface BrokerContext {
  settings: BrokerSettings;
  topics: TopicStore;
  groups: GroupCoordinator;
  fetchWaiters: FetchWaiters;
  producerIds: ProducerIdAllocator;
  closing: boolean;
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string;
  clientHost: string;
}

export function resolveTopic(ctx: BrokerContext, name: string, allowAutoCreate: boolean): { error: number; topic?: Topic } {
  if (!isLegalTopicName(name)) return { error: ErrorCode.INVALID_TOPIC_EXCEPTION };
  const existing = ctx.topics.get(name);
  if (existing) return { error: ErrorCode.NONE, topic: existing };
  if (!allowAutoCreate || !ctx.settings.autoCreateTopics) return { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  return { error: ErrorCode.NONE, topic: ctx.topics.create(name, ctx.settings.numPartitions) };
}
