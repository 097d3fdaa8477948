import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ConfigSpec } from '@kairos/config';

const root = join(__dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, unknown> }>;
};
// The deployable services: every app whose entry runs a service (the CLI and the static console do not).
const apps = readdirSync(join(root, 'apps')).filter((app) => {
  const main = join(root, 'apps', app, 'src', 'main.ts');
  return existsSync(main) && readFileSync(main, 'utf8').includes('runService(');
});

describe('docker-compose.yml', () => {
  it('runs every application as a service', () => {
    expect(apps.sort()).toEqual(['approval-policy-service', 'audit-projector', 'expiry-scheduler', 'notifier', 'provisioning-connector', 'request-service']);
    for (const app of apps) expect(compose.services[app]).toBeDefined();
  });

  it.each(apps)('sets every variable %s requires', (app) => {
    const { config } = require(join(root, 'apps', app, 'src', 'config.ts')) as { config: ConfigSpec };
    const environment = compose.services[app]!.environment ?? {};
    const required = Object.entries(config).filter(([, spec]) => spec.default === undefined).map(([name]) => name);
    const missing = required.filter((name) => environment[name] === undefined);
    expect(missing).toEqual([]);
    const unknown = Object.keys(environment).filter((name) => name !== 'SERVICE' && !(name in config));
    expect(unknown).toEqual([]);
  });
});
