import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ConfigSpec } from '@kairos/config';

const root = join(__dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, unknown> }>;
};
const apps = readdirSync(join(root, 'apps'));

describe('docker-compose.yml', () => {
  it('runs every application as a service', () => {
    expect(apps.length).toBe(6);
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
