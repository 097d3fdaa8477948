import { allowedOnCluster, allowedOnTopic } from '../../server/context';
import { Operation } from '../../security/acl';
import { validateTopicConfig } from '../../storage/topic-config';
import { isLegalTopicName } from '../../storage/topic-store';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

const MAX_PARTITIONS = 10_000;

export const createTopicsApi: Api = {
  key: 19,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const requests = r.array((r) => ({
      name: r.string(),
      partitions: r.int32(),
      replication: r.int16(),
      assignments: r.array((r) => ({ partition: r.int32(), brokers: r.array((r) => r.int32()) })),
      configs: r.array((r) => ({ name: r.string(), value: r.nullableString() })),
    }));
    r.int32();
    const validateOnly = v >= 1 ? r.bool() : false;
    const seen = new Set<string>();
    const results = requests.map((t) => {
      const fail = (error: number, message: string) => ({ name: t.name, error, message });
      if (!allowedOnCluster(ctx, header, Operation.CREATE) && !allowedOnTopic(ctx, header, Operation.CREATE, t.name)) {
        return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
      }
      if (!isLegalTopicName(t.name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Illegal topic name ${t.name}`);
      if (seen.has(t.name) || ctx.topics.get(t.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      seen.add(t.name);
      const explicit = t.assignments.length > 0;
      const partitions = explicit ? t.assignments.length : t.partitions === -1 ? ctx.settings.numPartitions : t.partitions;
      if (!explicit && (partitions < 1 || partitions > MAX_PARTITIONS)) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
      if (!explicit && t.replication !== -1 && t.replication < 1) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
      if (t.configs.some((c) => c.value === null)) {
        return fail(ErrorCode.INVALID_REQUEST, `Null value not supported for topic configs : ${t.configs.filter((c) => c.value === null).map((c) => c.name).join(',')}`);
      }
      for (const c of t.configs) {
        const problem = validateTopicConfig(c.name, c.value);
        if (problem) return fail(ErrorCode.INVALID_CONFIG, problem);
      }
      if (validateOnly) return { name: t.name, error: ErrorCode.NONE, message: null };
      ctx.topics.create(t.name, partitions, Object.fromEntries(t.configs.map((c) => [c.name, c.value as string])));
      return { name: t.name, error: ErrorCode.NONE, message: null };
    });
    const w = new Writer();
    if (v >= 2) w.int32(0);
    w.array(results, (w, t) => {
      w.string(t.name).int16(t.error);
      if (v >= 1) w.string(t.message);
    });
    return w;
  },
};
