import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { startServices, type RunningServices } from '../api/services';
import { OPERATOR_COUNTERS, OPERATOR_GAUGES, REVOCATION_LATENESS } from '@kairos/observability';
import { deployRoot } from './kustomize';

/**
 * Every metric the alert rules and the Grafana dashboard name is served by a running service: the
 * services are booted and scraped, nothing is listed by hand. A gauge must also carry a value (the
 * operator gauges are computed at scrape time from PostgreSQL, Kafka and the event store).
 */
const SUFFIXES = /_(bucket|sum|count)$/;
/** What operators page on (issue 14): both the alert rules and the dashboard use each of them. */
const OPERATOR_METRICS = [
  ...Object.values(OPERATOR_GAUGES).map((g) => g.name),
  ...Object.values(OPERATOR_COUNTERS).map((c) => c.name),
  REVOCATION_LATENESS.name,
];

function namedMetrics(exprs: string[]): Set<string> {
  const names = new Set<string>();
  for (const expr of exprs) for (const m of expr.matchAll(/\bkairos_[a-z0-9_]+/g)) names.add(m[0].replace(SUFFIXES, ''));
  return names;
}

describe('the dashboard and alert rules', () => {
  let services: RunningServices;
  const served = new Set<string>();
  const gaugesWithoutValue = new Set<string>();
  const gaugesWithValue = new Set<string>();

  beforeAll(async () => {
    services = await startServices();
    for (const [name, app] of services.apps) {
      const res = await request(app.getHttpServer()).get('/metrics');
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      for (const m of res.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        served.add(m[1]!);
        if (m[2] !== 'gauge') continue;
        if (new RegExp(`^${m[1]}(\\{[^}]*\\})? \\S+$`, 'm').test(res.text)) gaugesWithValue.add(m[1]!);
        else gaugesWithoutValue.add(m[1]!);
      }
    }
  }, 300_000);
  afterAll(() => services?.close());

  it('name only metrics a running service serves (alert rules)', () => {
    const rules = parse(readFileSync(join(deployRoot, 'observability', 'alerts.yaml'), 'utf8')) as { groups: { rules: { alert: string; expr: string; annotations?: Record<string, string> }[] }[] };
    const names = namedMetrics(rules.groups.flatMap((g) => g.rules.flatMap((r) => [r.expr, ...Object.values(r.annotations ?? {})])));
    expect(names.size).toBeGreaterThanOrEqual(6);
    expect([...names].filter((n) => !served.has(n))).toEqual([]);
    expect(OPERATOR_METRICS.filter((n) => !names.has(n))).toEqual([]);
    expect([...names].filter((n) => gaugesWithoutValue.has(n) && !gaugesWithValue.has(n))).toEqual([]);
  });

  it('name only metrics a running service serves (Grafana dashboard)', () => {
    const dashboard = JSON.parse(readFileSync(join(deployRoot, 'observability', 'grafana-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const names = namedMetrics(dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)));
    expect(names.size).toBeGreaterThanOrEqual(9);
    expect([...names].filter((n) => !served.has(n))).toEqual([]);
    expect(OPERATOR_METRICS.filter((n) => !names.has(n))).toEqual([]);
    expect([...names].filter((n) => gaugesWithoutValue.has(n) && !gaugesWithValue.has(n))).toEqual([]);
  });
});
