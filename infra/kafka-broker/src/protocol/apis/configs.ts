import { BrokerContext, RequestHeader, allowedOnCluster, allowedOnTopic } from '../../server/context';
import { Operation, ResourceType } from '../../security/acl';
import { TOPIC_CONFIGS, brokerDefault, validateTopicConfig } from '../../storage/topic-config';
import { Reader, Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

const Source = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  sensitive: boolean;
}

type Outcome = { error: number; message: string | null };
const ok: Outcome = { error: ErrorCode.NONE, message: null };

function topicEntries(ctx: BrokerContext, overrides: Record<string, string>): ConfigEntry[] {
  const d = ctx.topics.defaults;
  const differs = (name: string) => brokerDefault(name, d) !== TOPIC_CONFIGS[name].default;
  return Object.keys(TOPIC_CONFIGS)
    .sort()
    .map((name) => {
      if (overrides[name] !== undefined) return { name, value: overrides[name], readOnly: false, source: Source.DYNAMIC_TOPIC_CONFIG, sensitive: false };
      return { name, value: brokerDefault(name, d), readOnly: false, source: differs(name) ? Source.STATIC_BROKER_CONFIG : Source.DEFAULT_CONFIG, sensitive: false };
    });
}

function brokerEntries(ctx: BrokerContext): ConfigEntry[] {
  const d = ctx.topics.defaults;
  const s = ctx.settings;
  const entry = (name: string, value: string): ConfigEntry => ({ name, value, readOnly: true, source: Source.STATIC_BROKER_CONFIG, sensitive: false });
  return [
    entry('auto.create.topics.enable', String(s.autoCreateTopics)),
    entry('broker.id', String(s.nodeId)),
    entry('log.retention.bytes', String(d.retentionBytes)),
    entry('log.retention.ms', String(d.retentionMs)),
    entry('log.segment.bytes', String(d.segmentBytes)),
    entry('message.max.bytes', String(d.maxMessageBytes)),
    entry('num.partitions', String(s.numPartitions)),
    entry('sasl.enabled.mechanisms', (ctx.sasl?.mechanisms ?? []).join(',')),
  ];
}

/** Who may see or change a resource's configs; null when allowed, else the refusal. */
function checkResource(ctx: BrokerContext, header: RequestHeader, type: number, name: string, alter: boolean): Outcome | null {
  const op = alter ? Operation.ALTER_CONFIGS : Operation.DESCRIBE_CONFIGS;
  if (type === ResourceType.TOPIC) {
    if (!allowedOnTopic(ctx, header, op, name)) return { error: ErrorCode.TOPIC_AUTHORIZATION_FAILED, message: 'Topic authorization failed.' };
    if (!ctx.topics.get(name)) return { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Topic ${name} does not exist.` };
    return null;
  }
  if (type === ResourceType.CLUSTER) {
    if (!allowedOnCluster(ctx, header, op)) return { error: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: 'Cluster authorization failed.' };
    if (name !== '' && name !== String(ctx.settings.nodeId)) return { error: ErrorCode.INVALID_REQUEST, message: `Unexpected broker id, expected ${ctx.settings.nodeId} or empty string, but received ${name}` };
    return null;
  }
  return { error: ErrorCode.INVALID_REQUEST, message: `Unsupported resource type ${type}` };
}

// DescribeConfigs numbers resources with ConfigResource.Type: TOPIC 2, BROKER 4 (BROKER matches the ACL CLUSTER code).

/** DescribeConfigs v0–2: every topic config Kafka defines with its value and source; a few broker settings. */
export const describeConfigsApi: Api = {
  key: 32,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const resources = r.array((r) => ({ type: r.int8(), name: r.string(), names: r.nullableArray((r) => r.string()) }));
    const synonyms = v >= 1 ? r.bool() : false;
    const w = new Writer().int32(0);
    return w.array(resources, (w, res) => {
      const refused = checkResource(ctx, header, res.type, res.name, false);
      const all = refused ? [] : res.type === ResourceType.TOPIC ? topicEntries(ctx, ctx.topics.get(res.name)?.configs ?? {}) : brokerEntries(ctx);
      const entries = res.names === null || res.names.length === 0 ? all : all.filter((e) => (res.names as string[]).includes(e.name));
      w.int16(refused?.error ?? ErrorCode.NONE).string(refused?.message ?? null).int8(res.type).string(res.name);
      w.array(entries, (w, e) => {
        w.string(e.name).string(e.sensitive ? null : e.value).bool(e.readOnly);
        if (v === 0) w.bool(e.source === Source.DEFAULT_CONFIG);
        else w.int8(e.source);
        w.bool(e.sensitive);
        if (v >= 1) w.array(synonyms ? [e] : [], (w, s) => w.string(s.name).string(s.sensitive ? null : s.value).int8(s.source));
      });
    });
  },
};

function validateAll(configs: Record<string, string | null>): Outcome {
  for (const [name, value] of Object.entries(configs)) {
    const problem = validateTopicConfig(name, value);
    if (problem) return { error: ErrorCode.INVALID_CONFIG, message: problem };
  }
  return ok;
}

function applyTopic(ctx: BrokerContext, name: string, next: Record<string, string | null>, validateOnly: boolean): Outcome {
  const outcome = validateAll(next);
  if (outcome.error !== ErrorCode.NONE || validateOnly) return outcome;
  ctx.topics.setConfigs(name, next as Record<string, string>);
  return ok;
}

const STATIC_BROKER: Outcome = { error: ErrorCode.INVALID_REQUEST, message: 'Broker configs of this broker are static: set them on its command line' };

function writeAlterResults(w: Writer, results: Array<{ type: number; name: string } & Outcome>): Writer {
  return w.array(results, (w, res) => w.int16(res.error).string(res.message).int8(res.type).string(res.name));
}

/** AlterConfigs v0–1: replaces a topic's overrides with the given set (Kafka's non-incremental semantics). */
export const alterConfigsApi: Api = {
  key: 33,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, header, r) {
    const resources = r.array((r) => ({ type: r.int8(), name: r.string(), configs: r.array((r) => ({ name: r.string(), value: r.nullableString() })) }));
    const validateOnly = r.bool();
    const results = resources.map((res) => {
      const refused = checkResource(ctx, header, res.type, res.name, true);
      if (refused) return { type: res.type, name: res.name, ...refused };
      if (res.type !== ResourceType.TOPIC) return { type: res.type, name: res.name, ...STATIC_BROKER };
      const next = Object.fromEntries(res.configs.map((c) => [c.name, c.value]));
      return { type: res.type, name: res.name, ...applyTopic(ctx, res.name, next, validateOnly) };
    });
    return writeAlterResults(new Writer().int32(0), results);
  },
};

const Op = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

function readIncremental(r: Reader) {
  return { type: r.int8(), name: r.string(), configs: r.array((r) => ({ name: r.string(), op: r.int8(), value: r.nullableString() })) };
}

/** IncrementalAlterConfigs v0: SET, DELETE, and APPEND/SUBTRACT on list configs. */
export const incrementalAlterConfigsApi: Api = {
  key: 44,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, header, r) {
    const resources = r.array(readIncremental);
    const validateOnly = r.bool();
    const results = resources.map((res) => {
      const refused = checkResource(ctx, header, res.type, res.name, true);
      if (refused) return { type: res.type, name: res.name, ...refused };
      if (res.type !== ResourceType.TOPIC) return { type: res.type, name: res.name, ...STATIC_BROKER };
      const next: Record<string, string | null> = { ...(ctx.topics.get(res.name)?.configs ?? {}) };
      for (const c of res.configs) {
        const def = TOPIC_CONFIGS[c.name];
        if (!def) return { type: res.type, name: res.name, error: ErrorCode.INVALID_CONFIG, message: `Unknown topic config name: ${c.name}` };
        if (c.op === Op.SET) next[c.name] = c.value;
        else if (c.op === Op.DELETE) delete next[c.name];
        else if (c.op === Op.APPEND || c.op === Op.SUBTRACT) {
          if (def.type !== 'list') return { type: res.type, name: res.name, error: ErrorCode.INVALID_CONFIG, message: `Config value append is not allowed for config key: ${c.name}` };
          const current = (next[c.name] ?? brokerDefault(c.name, ctx.topics.defaults)).split(',').filter((s) => s !== '');
          const items = (c.value ?? '').split(',').filter((s) => s !== '');
          const merged = c.op === Op.APPEND ? [...current, ...items.filter((i) => !current.includes(i))] : current.filter((i) => !items.includes(i));
          next[c.name] = merged.join(',');
        } else return { type: res.type, name: res.name, error: ErrorCode.INVALID_REQUEST, message: `Unknown config operation ${c.op}` };
      }
      return { type: res.type, name: res.name, ...applyTopic(ctx, res.name, next, validateOnly) };
    });
    return writeAlterResults(new Writer().int32(0), results);
  },
};
