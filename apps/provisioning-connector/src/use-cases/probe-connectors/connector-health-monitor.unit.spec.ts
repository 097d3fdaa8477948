import type { ConnectorName } from '@kairos/contracts';
import type { Connector, ConnectorHealth } from '../../domain/connector';
import { ConnectorHealthMonitor, type HealthGauges } from './connector-health-monitor';

// The probe-connectors use case over scripted connectors (stand-ins for target systems; the real
// probes are proved against real targets in test/) and in-memory gauges.

const now = new Date('2026-03-02T09:00:00.000Z');

function connector(name: ConnectorName, health: () => Promise<ConnectorHealth>): Connector {
  return {
    name,
    configured: true,
    grant: async () => undefined,
    revoke: async () => undefined,
    verify: async () => 'present',
    health,
    close: async () => undefined,
  };
}

function monitor(connectors: Connector[]) {
  const up = new Map<string, boolean>();
  const probed: string[] = [];
  const gauges: HealthGauges = { up: (name, _configured, isUp) => void up.set(name, isUp), probedAt: (name) => void probed.push(name) };
  const scrub = (error: unknown) => String(error instanceof Error ? error.message : error).replace(/:\/\/[^@]+@/, '://***@');
  const health = new ConnectorHealthMonitor(new Map(connectors.map((c) => [c.name, c])), { now: () => now }, gauges, scrub, { intervalMs: 60_000 });
  return { health, up, probed };
}

describe('probing the connectors (use case)', () => {
  it('lists every connector of the one list, the ones fulfilled by people as healthy and not automated', () => {
    const { health, up } = monitor([]);
    const statuses = health.statuses();
    expect(statuses.map((s) => s.name)).toEqual(['postgres', 'webhook', 'manual', 'ldap', 'github']);
    expect(statuses.every((s) => s.healthy && !s.automated)).toBe(true);
    expect(up.get('manual')).toBe(true);
  });

  it('probes right away when asked before any probe ran, rather than answer "unknown"', async () => {
    const { health, probed } = monitor([connector('postgres', async () => ({ healthy: true }))]);
    expect(health.statuses().find((s) => s.name === 'postgres')).toMatchObject({ healthy: false, reason: 'not probed yet' });
    const current = await health.current();
    expect(current.find((s) => s.name === 'postgres')).toMatchObject({ healthy: true, checkedAt: now.toISOString(), lastHealthyAt: now.toISOString() });
    expect(probed).toEqual(['postgres']);
  });

  it('records a probe that throws as unhealthy, its reason scrubbed of credentials', async () => {
    const { health, up } = monitor([connector('webhook', async () => Promise.reject(new Error('connect to https://kairos:s3cret@hooks.example.org failed')))]);
    await health.probeAll();
    const webhook = health.statuses().find((s) => s.name === 'webhook')!;
    expect(webhook).toMatchObject({ healthy: false, lastErrorAt: now.toISOString() });
    expect(webhook.reason).toBe('connect to https://***@hooks.example.org failed');
    expect(up.get('webhook')).toBe(false);
  });

  it('reports a connector stuck once real calls to one target keep timing out, though its probe passes, and recovers when a call answers', async () => {
    const { health, up } = monitor([connector('postgres', async () => ({ healthy: true }))]);
    const timedOut = { kind: 'timed_out' as const, reason: 'canceling statement due to lock timeout', at: now };
    health.recordCall('postgres', 'app_locked', timedOut, 'sam');
    expect(await health.probe('postgres')).toEqual({ healthy: true });
    health.recordCall('postgres', 'app_locked', timedOut, 'sam');
    expect(await health.probe('postgres')).toEqual({ healthy: false, reason: expect.stringContaining('stuck: 2 calls in a row to target app_locked timed out') });
    expect(up.get('postgres')).toBe(false);
    health.recordCall('postgres', 'app_locked', { kind: 'answered' }, 'sam');
    expect(health.statuses().find((s) => s.name === 'postgres')).toMatchObject({ healthy: true });
    expect(up.get('postgres')).toBe(true);
  });
});
