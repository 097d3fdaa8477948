import { CONNECTOR_NAMES, type ConnectorName } from '@kairos/contracts';
import type { Clock } from '@kairos/clock';
import type { Connector, ConnectorHealth } from '../../domain/connector';
import { afterCall, stuckReason, type CallReport, type TargetCalls } from '../../domain/stuck';

/** Where the probes' findings are published for operators (adapters/metrics: `kairos_connector_up`, `kairos_connector_last_probe_seconds`). */
export interface HealthGauges {
  up(connector: ConnectorName, configured: boolean, up: boolean): void;
  probedAt(connector: ConnectorName, at: Date): void;
}

export interface ConnectorStatus {
  readonly name: ConnectorName;
  /** Configured connectors gate /health/ready; an unconfigured one is listed unhealthy, its jobs fail. */
  readonly configured: boolean;
  /** Fulfilled by people (manual): nothing to probe. */
  readonly automated: boolean;
  readonly healthy: boolean;
  readonly reason?: string;
  /** When the last probe ended (null: not probed yet). */
  readonly checkedAt: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly lastHealthyAt: string | null;
}

interface Known {
  health: ConnectorHealth;
  checkedAt: Date;
  lastError?: { reason: string; at: Date };
  lastHealthyAt?: Date;
}

/**
 * Probes every automated connector with a cheap real call to its target (a `SELECT 1`, an LDAP bind
 * and root-DSE read, a signed webhook `health` call, GitHub's `/rate_limit`) on a schedule and on
 * demand, and keeps the last answer, the last error and when. Exposed at GET /v1/connectors, in
 * `kairos_connector_up` / `kairos_connector_last_probe_seconds`, and (configured ones) in readiness.
 */
export class ConnectorHealthMonitor {
  private readonly known = new Map<ConnectorName, Known>();
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<ConnectorStatus[]>;
  /** Per connector, per (target, identity): how the worker's real calls went (see domain/stuck). */
  private readonly calls = new Map<ConnectorName, Map<string, { target: string; calls: TargetCalls }>>();

  constructor(
    /** The automated connectors by name; connectors fulfilled by people (manual) have none. */
    private readonly connectors: ReadonlyMap<ConnectorName, Connector>,
    private readonly clock: Clock,
    private readonly gauges: HealthGauges,
    /** The message of anything a probe threw, scrubbed of secrets. */
    private readonly describe: (error: unknown) => string,
    private readonly options: {
      readonly intervalMs: number;
      readonly probeTimeoutMs?: number;
      /** A stuck target no longer called for this long is no longer reported (default 2 min). */
      readonly stuckWindowMs?: number;
    },
  ) {
    for (const name of CONNECTOR_NAMES) if (!connectors.has(name)) this.gauges.up(name, true, true);
  }

  start(): void {
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * The worker reports every grant/revoke call. A connector whose calls to a target keep timing
   * out is stuck even when its probe passes: `kairos_connector_up` 0, readiness and
   * GET /v1/connectors say which target and the last error.
   */
  recordCall(name: ConnectorName, target: string, report: CallReport, subjectId = ''): void {
    const keys = this.calls.get(name) ?? new Map<string, { target: string; calls: TargetCalls }>();
    this.calls.set(name, keys);
    // Kept per job key: one identity stuck on a target is stuck even while others' calls answer.
    const key = `${target}\u0000${subjectId}`;
    const next = afterCall(keys.get(key)?.calls, report);
    if (next.consecutiveTimeouts === 0) keys.delete(key);
    else keys.set(key, { target, calls: next });
    const stuck = this.stuck(name);
    const connector = this.connectors.get(name);
    const known = this.known.get(name);
    if (stuck) {
      const at = this.clock.now();
      this.known.set(name, { ...(known ?? { checkedAt: at }), health: { healthy: false, reason: stuck }, lastError: { reason: stuck, at } });
    } else if (known && !known.health.healthy && known.health.reason.startsWith('stuck: ')) {
      // Answered again: the last probe had passed, only the calls were stuck.
      this.known.set(name, { ...known, health: { healthy: true }, lastHealthyAt: this.clock.now() });
    }
    const now = this.known.get(name);
    if (connector && now) this.gauges.up(name, connector.configured, now.health.healthy);
  }

  /** Why the connector is stuck (the first target whose calls keep timing out), if it is. */
  stuck(name: ConnectorName): string | undefined {
    const now = this.clock.now();
    const window = this.options.stuckWindowMs ?? 120_000;
    for (const { target, calls } of this.calls.get(name)?.values() ?? []) {
      const reason = stuckReason(target, calls, now, window);
      if (reason) return reason;
    }
    return undefined;
  }

  /** Probes every connector now (concurrent callers share one round). */
  async probeAll(): Promise<ConnectorStatus[]> {
    this.inFlight ??= (async () => {
      try {
        await Promise.all([...this.connectors.keys()].map((name) => this.probe(name)));
        return this.statuses();
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  async probe(name: ConnectorName): Promise<ConnectorHealth> {
    const connector = this.connectors.get(name);
    if (!connector) return { healthy: true };
    const timeoutMs = this.options.probeTimeoutMs ?? 10_000;
    let health: ConnectorHealth;
    try {
      health = await Promise.race([
        connector.health(),
        new Promise<ConnectorHealth>((resolve) =>
          setTimeout(() => resolve({ healthy: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs).unref(),
        ),
      ]);
    } catch (error) {
      health = { healthy: false, reason: this.describe(error) };
    }
    if (!health.healthy) health = { healthy: false, reason: this.describe(health.reason) };
    // The probe reached the target, but real calls to one of its targets keep timing out.
    const stuck = health.healthy ? this.stuck(name) : undefined;
    if (stuck) health = { healthy: false, reason: stuck };
    const now = this.clock.now();
    const before = this.known.get(name);
    this.known.set(name, {
      health,
      checkedAt: now,
      lastError: health.healthy ? before?.lastError : { reason: health.reason, at: now },
      lastHealthyAt: health.healthy ? now : before?.lastHealthyAt,
    });
    this.gauges.up(name, connector.configured, health.healthy);
    this.gauges.probedAt(name, now);
    return health;
  }

  /** What the last probes found; right after boot (an automated connector never probed) it probes now rather than answer "unknown". */
  async current(): Promise<ConnectorStatus[]> {
    const statuses = this.statuses();
    if (statuses.some((s) => s.automated && s.checkedAt === null)) return this.probeAll();
    return statuses;
  }

  /** What the last probes found, in the order of the one list; connectors never probed show so. */
  statuses(): ConnectorStatus[] {
    return CONNECTOR_NAMES.map((name): ConnectorStatus => {
      const connector = this.connectors.get(name);
      if (!connector) {
        return { name, configured: true, automated: false, healthy: true, checkedAt: null, lastError: null, lastErrorAt: null, lastHealthyAt: null };
      }
      const known = this.known.get(name);
      return {
        name,
        configured: connector.configured,
        automated: true,
        healthy: known?.health.healthy ?? false,
        ...(known && !known.health.healthy ? { reason: known.health.reason } : known ? {} : { reason: 'not probed yet' }),
        checkedAt: known ? known.checkedAt.toISOString() : null,
        lastError: known?.lastError?.reason ?? null,
        lastErrorAt: known?.lastError ? known.lastError.at.toISOString() : null,
        lastHealthyAt: known?.lastHealthyAt ? known.lastHealthyAt.toISOString() : null,
      };
    });
  }
}
