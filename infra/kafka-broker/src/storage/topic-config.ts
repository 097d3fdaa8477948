/**
 * Topic configuration as Kafka 2.4 defines it: every topic-level name Kafka knows, its type,
 * default and validator. Unknown names and bad values are refused with INVALID_CONFIG, as
 * Kafka refuses them. Which ones this broker applies is listed in APPLIED (and ADR 0003).
 */

export type ConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list';

interface ConfigDef {
  type: ConfigType;
  default: string;
  check?: (value: string) => string | null;
}

const LONG_MAX = '9223372036854775807';

const atLeast = (min: number) => (v: string) => (Number(v) >= min ? null : `Value must be at least ${min}`);
const oneOf = (values: string[]) => (v: string) => (values.includes(v) ? null : `String must be one of: ${values.join(', ')}`);
const listOf = (values: string[]) => (v: string) => {
  const items = v.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((i) => !values.includes(i))) return `Invalid value ${v}: must be a list of ${values.join(', ')}`;
  return null;
};

export const TOPIC_CONFIGS: Record<string, ConfigDef> = {
  'cleanup.policy': { type: 'list', default: 'delete', check: listOf(['compact', 'delete']) },
  'compression.type': { type: 'string', default: 'producer', check: oneOf(['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']) },
  'delete.retention.ms': { type: 'long', default: '86400000', check: atLeast(0) },
  'file.delete.delay.ms': { type: 'long', default: '60000', check: atLeast(0) },
  'flush.messages': { type: 'long', default: LONG_MAX, check: atLeast(0) },
  'flush.ms': { type: 'long', default: LONG_MAX, check: atLeast(0) },
  'follower.replication.throttled.replicas': { type: 'list', default: '' },
  'index.interval.bytes': { type: 'int', default: '4096', check: atLeast(0) },
  'leader.replication.throttled.replicas': { type: 'list', default: '' },
  'max.compaction.lag.ms': { type: 'long', default: LONG_MAX, check: atLeast(1) },
  'max.message.bytes': { type: 'int', default: '1000012', check: atLeast(0) },
  'message.downconversion.enable': { type: 'boolean', default: 'true' },
  'message.format.version': { type: 'string', default: '2.4-IV1' },
  'message.timestamp.difference.max.ms': { type: 'long', default: LONG_MAX, check: atLeast(0) },
  'message.timestamp.type': { type: 'string', default: 'CreateTime', check: oneOf(['CreateTime', 'LogAppendTime']) },
  'min.cleanable.dirty.ratio': { type: 'double', default: '0.5', check: (v) => (Number(v) >= 0 && Number(v) <= 1 ? null : 'Value must be between 0 and 1') },
  'min.compaction.lag.ms': { type: 'long', default: '0', check: atLeast(0) },
  'min.insync.replicas': { type: 'int', default: '1', check: atLeast(1) },
  preallocate: { type: 'boolean', default: 'false' },
  'retention.bytes': { type: 'long', default: '-1' },
  'retention.ms': { type: 'long', default: '604800000', check: atLeast(-1) },
  'segment.bytes': { type: 'int', default: '1073741824', check: atLeast(14) },
  'segment.index.bytes': { type: 'int', default: '10485760', check: atLeast(0) },
  'segment.jitter.ms': { type: 'long', default: '0', check: atLeast(0) },
  'segment.ms': { type: 'long', default: '604800000', check: atLeast(1) },
  'unclean.leader.election.enable': { type: 'boolean', default: 'false' },
};

/** Names this broker acts on; the rest are validated, stored and described, with no effect on one node. */
export const APPLIED = new Set([
  'cleanup.policy',
  'delete.retention.ms',
  'max.message.bytes',
  'message.timestamp.difference.max.ms',
  'min.compaction.lag.ms',
  'min.insync.replicas',
  'retention.bytes',
  'retention.ms',
  'segment.bytes',
  'segment.ms',
]);

const INT_RE = /^-?\d+$/;

/** Null when `value` is a legal value for `name`, else Kafka-style reason. */
export function validateTopicConfig(name: string, value: string | null): string | null {
  const def = TOPIC_CONFIGS[name];
  if (!def) return `Unknown topic config name: ${name}`;
  if (value === null) return `Null value not supported for topic configs: ${name}`;
  const bad = (why: string) => `Invalid value ${value} for configuration ${name}: ${why}`;
  switch (def.type) {
    case 'int':
      if (!INT_RE.test(value.trim()) || Number(value) < -2147483648 || Number(value) > 2147483647) return bad('Not a number of type INT');
      break;
    case 'long':
      if (!INT_RE.test(value.trim())) return bad('Not a number of type LONG');
      try {
        const n = BigInt(value.trim());
        if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) return bad('Not a number of type LONG');
      } catch {
        return bad('Not a number of type LONG');
      }
      break;
    case 'double':
      if (value.trim() === '' || !Number.isFinite(Number(value))) return bad('Not a number of type DOUBLE');
      break;
    case 'boolean':
      if (!/^(true|false)$/i.test(value.trim())) return bad('Expected value to be either true or false');
      break;
    default:
      break;
  }
  const why = def.check?.(value.trim()) ?? null;
  return why === null ? null : bad(why);
}

/** Validates a whole set; returns the first problem, or null. */
export function validateTopicConfigs(configs: Record<string, string | null>): string | null {
  for (const [name, value] of Object.entries(configs)) {
    const problem = validateTopicConfig(name, value);
    if (problem) return problem;
  }
  return null;
}

/** Broker-wide defaults for topic configs (Kafka's log.* settings), where they differ from Kafka's. */
export interface TopicDefaults {
  retentionMs: number;
  retentionBytes: number;
  maxMessageBytes: number;
  segmentBytes: number;
}

/** The values the log acts on, resolved from a topic's overrides and the broker defaults. */
export interface EffectiveConfig {
  compact: boolean;
  delete: boolean;
  retentionMs: number;
  retentionBytes: number;
  deleteRetentionMs: number;
  maxMessageBytes: number;
  minInsyncReplicas: number;
  segmentBytes: number;
  segmentMs: number;
  minCompactionLagMs: number;
  timestampDifferenceMaxMs: number;
}

/** The broker's value for `name`: Kafka's default, except where this broker's options say otherwise. */
export function brokerDefault(name: string, d: TopicDefaults): string {
  switch (name) {
    case 'retention.ms':
      return String(d.retentionMs);
    case 'retention.bytes':
      return String(d.retentionBytes);
    case 'max.message.bytes':
      return String(d.maxMessageBytes);
    case 'segment.bytes':
      return String(d.segmentBytes);
    default:
      return TOPIC_CONFIGS[name]?.default ?? '';
  }
}

const num = (v: string) => {
  const n = Number(v);
  return n >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : n;
};

export function effectiveConfig(overrides: Record<string, string>, d: TopicDefaults): EffectiveConfig {
  const get = (name: string) => overrides[name] ?? brokerDefault(name, d);
  const policy = get('cleanup.policy')
    .split(',')
    .map((s) => s.trim());
  return {
    compact: policy.includes('compact'),
    delete: policy.includes('delete'),
    retentionMs: num(get('retention.ms')),
    retentionBytes: num(get('retention.bytes')),
    deleteRetentionMs: num(get('delete.retention.ms')),
    maxMessageBytes: num(get('max.message.bytes')),
    minInsyncReplicas: num(get('min.insync.replicas')),
    segmentBytes: num(get('segment.bytes')),
    segmentMs: num(get('segment.ms')),
    minCompactionLagMs: num(get('min.compaction.lag.ms')),
    timestampDifferenceMaxMs: num(get('message.timestamp.difference.max.ms')),
  };
}
