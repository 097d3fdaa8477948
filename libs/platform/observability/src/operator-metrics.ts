import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The metrics operators page on (deploy/observability's alert rules and dashboard), each defined
 * once here and reported by whichever service owns the data. Gauges that describe the state of a
 * database or of Kafka are computed when Prometheus scrapes (a source per owner), so they are never
 * stale; counters and histograms count as things happen.
 */
export const OPERATOR_GAUGES = {
  consumerLag: {
    name: 'kairos_consumer_lag_messages',
    help: 'Records of a topic-partition not yet consumed by a consumer group: the high watermark minus the committed offset (broker side)',
    labelNames: ['group', 'topic', 'partition'],
  },
  outboxDepth: { name: 'kairos_outbox_depth', help: 'Messages in the outbox not yet published to Kafka', labelNames: [] },
  relayLag: { name: 'kairos_outbox_oldest_age_seconds', help: 'Age of the oldest unpublished outbox message (relay lag; 0 when the outbox is empty)', labelNames: [] },
  projectionLag: {
    name: 'kairos_projection_lag_seconds',
    help: 'Age of the oldest event in the event store a projection (or the stream relay) has not handled yet; 0 when caught up',
    labelNames: ['projection'],
  },
  timersOverdue: { name: 'kairos_timers_overdue', help: 'Timers past their due time and not fired yet', labelNames: [] },
  timersOverdueAge: { name: 'kairos_timers_overdue_oldest_age_seconds', help: 'How long the most overdue unfired timer has been due (0 when none is)', labelNames: [] },
} as const;

export const OPERATOR_COUNTERS = {
  jobAttemptFailures: {
    name: 'kairos_provisioning_attempt_failures_total',
    help: 'Grant or revoke attempts that failed (the job is retried or, on the last attempt, fails), by connector and action',
    labelNames: ['connector', 'action'],
  },
  jobRetries: { name: 'kairos_provisioning_job_retries_total', help: 'Provisioning jobs scheduled for another attempt after a failure, by connector and action', labelNames: ['connector', 'action'] },
  jobFailures: { name: 'kairos_provisioning_job_failures_total', help: 'Provisioning jobs that failed for good (no attempt left, or refused), by connector and action', labelNames: ['connector', 'action'] },
} as const;

export const REVOCATION_LATENESS = {
  name: 'kairos_revocation_lateness_seconds',
  help: 'Seconds from an access expiring to its revocation being verified in the target, by connector',
  labelNames: ['connector'],
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
} as const;

type LabelsOf<D extends { labelNames: readonly string[] }> = D['labelNames'][number];
export type GaugeLabels<K extends keyof typeof OPERATOR_GAUGES> = Partial<Record<LabelsOf<(typeof OPERATOR_GAUGES)[K]>, string | number>>;

/** Reports a gauge's values at scrape time: calls `set` for every series it knows, throws when it cannot tell. */
export type GaugeSource<K extends keyof typeof OPERATOR_GAUGES> = (set: (labels: GaugeLabels<K>, value: number) => void) => Promise<void>;

/** A source that takes longer is left out of the scrape (its series missing) rather than hold Prometheus up. */
export const GAUGE_SOURCE_TIMEOUT_MS = 3_000;

const sourcesOf = new WeakMap<Registry, Map<string, Set<GaugeSource<never>>>>();

/**
 * Adds a source to one of the operator gauges of a registry (creating the gauge on first use; two
 * consumers of one service add one source each). Returns what removes the source again.
 */
export function addGaugeSource<K extends keyof typeof OPERATOR_GAUGES>(registry: Registry, gauge: K, source: GaugeSource<K>): () => void {
  const def = OPERATOR_GAUGES[gauge];
  let byName = sourcesOf.get(registry);
  if (!byName) sourcesOf.set(registry, (byName = new Map()));
  let sources = byName.get(def.name);
  if (!sources) {
    const set = new Set<GaugeSource<never>>();
    sources = set;
    byName.set(def.name, set);
    if (!registry.getSingleMetric(def.name)) {
      new Gauge({
        name: def.name,
        help: def.help,
        labelNames: [...def.labelNames],
        registers: [registry],
        async collect() {
          this.reset();
          await Promise.all(
            [...set].map((s) => {
              const values: [Record<string, string | number>, number][] = [];
              const run = s((labels, value) => values.push([labels as Record<string, string | number>, value]));
              let timer: NodeJS.Timeout | undefined;
              const timeout = new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), GAUGE_SOURCE_TIMEOUT_MS)));
              return Promise.race([run, timeout])
                .then(() => {
                  for (const [labels, value] of values) this.set(labels, value);
                })
                .catch(() => undefined)
                .finally(() => clearTimeout(timer));
            }),
          );
        },
      });
    }
  }
  sources.add(source as GaugeSource<never>);
  return () => void sources.delete(source as GaugeSource<never>);
}

/** One of the operator counters of a registry (created on first use). */
export function operatorCounter<K extends keyof typeof OPERATOR_COUNTERS>(registry: Registry, counter: K): Counter<LabelsOf<(typeof OPERATOR_COUNTERS)[K]>> {
  const def = OPERATOR_COUNTERS[counter];
  const existing = registry.getSingleMetric(def.name);
  if (existing) return existing as Counter<LabelsOf<(typeof OPERATOR_COUNTERS)[K]>>;
  return new Counter({ name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [registry] });
}

/** The revocation lateness histogram of a registry (created on first use). */
export function revocationLateness(registry: Registry): Histogram<'connector'> {
  const existing = registry.getSingleMetric(REVOCATION_LATENESS.name);
  if (existing) return existing as Histogram<'connector'>;
  return new Histogram({ name: REVOCATION_LATENESS.name, help: REVOCATION_LATENESS.help, labelNames: [...REVOCATION_LATENESS.labelNames], buckets: [...REVOCATION_LATENESS.buckets], registers: [registry] });
}

/** The value of each series of `name` in a Prometheus text exposition, keyed by its label set (`{a="b"}`, or '' without labels). */
export function metricSamples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) out.set(m[1] ?? '', Number(m[2]));
  return out;
}
