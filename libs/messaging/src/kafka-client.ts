import { Kafka, logLevel, type Admin, type Consumer, type ConsumerConfig, type EachBatchPayload, type EachMessagePayload, type Producer, type SASLOptions } from 'kafkajs';
import type { KafkaConnection } from '@kairos/config';
import './kafkajs-idle-loop';

/**
 * The one place Kafka names are made. On a shared cluster every topic and consumer group of Kairos
 * carries `KAFKA_TOPIC_PREFIX`; the code above this client (publisher, consumer, relay, setup,
 * signatures, inbox rows, metrics) only ever sees the logical names of `@kairos/contracts`.
 */
export interface KafkaNames {
  readonly prefix: string;
  /** The name on the cluster of a logical topic or group. */
  physical(name: string): string;
  /** The logical name of a name on the cluster (names outside the prefix are returned as they are). */
  logical(name: string): string;
}

export function kafkaNames(prefix = ''): KafkaNames {
  return {
    prefix,
    physical: (name) => prefix + name,
    logical: (name) => (prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name),
  };
}

/** A kafkajs client for a service or a tool, from `kafkaConnection(config)`: TLS, SASL and the prefix. */
export function createKafkaClient(clientId: string, connection: KafkaConnection): Kafka {
  const kafka = new Kafka({
    clientId,
    brokers: [...connection.brokers],
    ...(connection.ssl ? { ssl: connection.ssl === true ? true : { ...connection.ssl } } : {}),
    ...(connection.sasl ? { sasl: { ...connection.sasl } as SASLOptions } : {}),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200 },
  });
  return withNamePrefix(kafka, connection.topicPrefix);
}

const namesOf = new WeakMap<object, KafkaNames>();

/** The names a client built by `withNamePrefix` uses (no prefix for any other client). */
export function kafkaNamesOf(kafka: Kafka): KafkaNames {
  return namesOf.get(kafka) ?? kafkaNames();
}

/** Overrides some methods of a kafkajs object, keeping every other member (bound to the original). */
function override<T extends object>(target: T, methods: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      if (Object.prototype.hasOwnProperty.call(methods, property)) return methods[property as keyof T];
      const value = Reflect.get(object, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

type TopicResource = { type: number; name: string };

/**
 * The same client with every topic and group name prefixed on the way out and unprefixed on the
 * way in. Subscriptions by regular expression are refused: they would reach past the prefix.
 */
export function withNamePrefix(kafka: Kafka, prefix: string): Kafka {
  const names = kafkaNames(prefix);
  if (!prefix) {
    namesOf.set(kafka, names);
    return kafka;
  }
  const { physical, logical } = names;
  const topicOf = <T extends { topic: string }>(o: T): T => ({ ...o, topic: physical(o.topic) });
  const resource = <T extends TopicResource>(r: T): T => (r.type === 2 ? { ...r, name: physical(r.name) } : r);

  const producer = (producerConfig?: Parameters<Kafka['producer']>[0]): Producer => {
    const inner = kafka.producer(producerConfig);
    const back = <R extends { topicName: string }>(records: R[]) => records.map((r) => ({ ...r, topicName: logical(r.topicName) }));
    return override(inner, {
      send: async (record: Parameters<Producer['send']>[0]) => back(await inner.send(topicOf(record))),
      sendBatch: async (batch: Parameters<Producer['sendBatch']>[0]) => back(await inner.sendBatch({ ...batch, topicMessages: batch.topicMessages?.map(topicOf) })),
    });
  };

  const consumer = (consumerConfig: ConsumerConfig): Consumer => {
    const inner = kafka.consumer({ ...consumerConfig, groupId: physical(consumerConfig.groupId) });
    const subscription = (t: string | RegExp): string => {
      if (typeof t !== 'string') throw new Error('a topic prefix is set: subscribe by topic name, not by regular expression');
      return physical(t);
    };
    return override(inner, {
      subscribe: (s: Parameters<Consumer['subscribe']>[0]) =>
        inner.subscribe('topics' in s ? { ...s, topics: s.topics.map(subscription) } : { ...s, topic: subscription((s as { topic: string | RegExp }).topic) }),
      run: (config?: Parameters<Consumer['run']>[0]) =>
        inner.run({
          ...config,
          ...(config?.eachMessage ? { eachMessage: (p: EachMessagePayload) => config.eachMessage!({ ...p, topic: logical(p.topic) }) } : {}),
          ...(config?.eachBatch ? { eachBatch: (p: EachBatchPayload) => config.eachBatch!({ ...p, batch: override(p.batch, { topic: logical(p.batch.topic) }) }) } : {}),
        }),
      commitOffsets: (offsets: Parameters<Consumer['commitOffsets']>[0]) => inner.commitOffsets(offsets.map(topicOf)),
      seek: (target: Parameters<Consumer['seek']>[0]) => inner.seek(topicOf(target)),
      pause: (topics: Parameters<Consumer['pause']>[0]) => inner.pause(topics.map(topicOf)),
      resume: (topics: Parameters<Consumer['resume']>[0]) => inner.resume(topics.map(topicOf)),
    });
  };

  const admin = (adminConfig?: Parameters<Kafka['admin']>[0]): Admin => {
    const inner = kafka.admin(adminConfig);
    return override(inner, {
      listTopics: async () => (await inner.listTopics()).filter((t) => t.startsWith(prefix)).map(logical),
      createTopics: (o: Parameters<Admin['createTopics']>[0]) => inner.createTopics({ ...o, topics: o.topics.map(topicOf) }),
      deleteTopics: (o: Parameters<Admin['deleteTopics']>[0]) => inner.deleteTopics({ ...o, topics: o.topics.map(physical) }),
      createPartitions: (o: Parameters<Admin['createPartitions']>[0]) => inner.createPartitions({ ...o, topicPartitions: o.topicPartitions.map(topicOf) }),
      fetchTopicMetadata: async (o?: Parameters<Admin['fetchTopicMetadata']>[0]) => {
        const { topics } = await inner.fetchTopicMetadata(o?.topics ? { topics: o.topics.map(physical) } : undefined);
        return { topics: topics.filter((t) => t.name.startsWith(prefix)).map((t) => ({ ...t, name: logical(t.name) })) };
      },
      fetchTopicOffsets: (topic: string) => inner.fetchTopicOffsets(physical(topic)),
      fetchTopicOffsetsByTimestamp: (topic: string, timestamp?: number) => inner.fetchTopicOffsetsByTimestamp(physical(topic), timestamp),
      fetchOffsets: async (o: { groupId: string; topics?: string[]; resolveOffsets?: boolean }) => {
        const result = await inner.fetchOffsets({ ...o, groupId: physical(o.groupId), ...(o.topics ? { topics: o.topics.map(physical) } : {}) });
        return result.filter((t) => t.topic.startsWith(prefix)).map((t) => ({ ...t, topic: logical(t.topic) }));
      },
      setOffsets: (o: Parameters<Admin['setOffsets']>[0]) => inner.setOffsets({ ...o, groupId: physical(o.groupId), topic: physical(o.topic) }),
      resetOffsets: (o: Parameters<Admin['resetOffsets']>[0]) => inner.resetOffsets({ ...o, groupId: physical(o.groupId), topic: physical(o.topic) }),
      describeConfigs: async (o: Parameters<Admin['describeConfigs']>[0]) => {
        const result = await inner.describeConfigs({ ...o, resources: o.resources.map(resource) });
        return { ...result, resources: result.resources.map((r) => (r.resourceType === 2 ? { ...r, resourceName: logical(r.resourceName) } : r)) };
      },
      alterConfigs: (o: Parameters<Admin['alterConfigs']>[0]) => inner.alterConfigs({ ...o, resources: o.resources.map(resource) }),
      listGroups: async () => {
        const { groups } = await inner.listGroups();
        return { groups: groups.filter((g) => g.groupId.startsWith(prefix)).map((g) => ({ ...g, groupId: logical(g.groupId) })) };
      },
      describeGroups: async (groupIds: string[]) => {
        const { groups } = await inner.describeGroups(groupIds.map(physical));
        return { groups: groups.map((g) => ({ ...g, groupId: logical(g.groupId) })) };
      },
      deleteGroups: async (groupIds: string[]) => (await inner.deleteGroups(groupIds.map(physical))).map((g) => ({ ...g, groupId: logical(g.groupId) })),
    });
  };

  const prefixed = override(kafka, { producer, consumer, admin });
  namesOf.set(prefixed, names);
  return prefixed;
}
