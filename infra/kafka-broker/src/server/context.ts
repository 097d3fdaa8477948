import { GroupCoordinator } from '../groups/group-coordinator';
import { ErrorCode } from '../protocol/errors';
import { AclStore, CLUSTER_NAME, Operation, ResourceType } from '../security/acl';
import { SaslExchange, SaslUsers } from '../security/sasl';
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
  /** Users for SASL; null when the listener does not ask for SASL. */
  sasl: SaslUsers | null;
  /** ACLs; null when no authorizer is configured (everything is allowed, as in Kafka). */
  acls: AclStore | null;
  closing: boolean;
}

/** One connection's security state. */
export interface Session {
  principal: string;
  host: string;
  authenticated: boolean;
  exchange: SaslExchange | null;
  /** After a v0 SaslHandshake, frames are bare SASL tokens until the exchange ends. */
  rawSasl: boolean;
  /** Set by a handler whose response must be the last on this connection (failed authentication). */
  closeAfterResponse: boolean;
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string;
  clientHost: string;
  session: Session;
}

export function allowed(ctx: BrokerContext, header: RequestHeader, operation: number, resourceType: number, name: string): boolean {
  if (ctx.acls === null) return true;
  return ctx.acls.authorize(header.session.principal, header.session.host, operation, resourceType, name);
}

export const allowedOnCluster = (ctx: BrokerContext, header: RequestHeader, operation: number) =>
  allowed(ctx, header, operation, ResourceType.CLUSTER, CLUSTER_NAME);
export const allowedOnTopic = (ctx: BrokerContext, header: RequestHeader, operation: number, topic: string) =>
  allowed(ctx, header, operation, ResourceType.TOPIC, topic);
export const allowedOnGroup = (ctx: BrokerContext, header: RequestHeader, operation: number, group: string) =>
  allowed(ctx, header, operation, ResourceType.GROUP, group);

export function resolveTopic(ctx: BrokerContext, name: string, allowAutoCreate: boolean, header?: RequestHeader): { error: number; topic?: Topic } {
  if (!isLegalTopicName(name)) return { error: ErrorCode.INVALID_TOPIC_EXCEPTION };
  const existing = ctx.topics.get(name);
  if (existing) return { error: ErrorCode.NONE, topic: existing };
  if (!allowAutoCreate || !ctx.settings.autoCreateTopics) return { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (header && !allowedOnCluster(ctx, header, Operation.CREATE) && !allowedOnTopic(ctx, header, Operation.CREATE, name)) {
    return { error: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
  }
  return { error: ErrorCode.NONE, topic: ctx.topics.create(name, ctx.settings.numPartitions) };
}
