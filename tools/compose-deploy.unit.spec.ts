import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { setupConfig } from './setup/main.config';
import { serviceNames } from './build/build';

type ComposeService = {
  image?: string;
  environment?: Record<string, unknown>;
  volumes?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
};
const root = join(__dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };

// The Kairos services compose runs: those on the Kairos image, but the one-shot setup.
const kairosServices = Object.entries(compose.services)
  .filter(([name, s]) => s.image === compose.services.setup?.image && name !== 'setup')
  .map(([name]) => name);

describe('docker-compose.yml as deployed', () => {
  it('runs only services that exist, from the Kairos image', () => {
    expect(kairosServices.length).toBeGreaterThanOrEqual(5);
    for (const name of kairosServices) expect(serviceNames()).toContain(name);
  });

  it.each(kairosServices)('%s has a health check and starts only after setup succeeded', (name) => {
    const service = compose.services[name]!;
    expect(service.healthcheck?.test).toEqual(['CMD', 'node', 'healthcheck.js']);
    expect(service.depends_on?.setup).toEqual({ condition: 'service_completed_successfully' });
  });

  it('runs setup from the same image with every variable it requires', () => {
    const setup = compose.services.setup!;
    expect(setup.image).toBe(compose.services['request-service']!.image);
    expect(setup.environment?.SERVICE).toBe('setup');
    const required = Object.entries(setupConfig).filter(([, spec]) => !('default' in spec)).map(([n]) => n);
    expect(required.filter((n) => setup.environment?.[n] === undefined)).toEqual([]);
    expect(Object.keys(setup.environment ?? {}).filter((n) => n !== 'SERVICE' && !(n in setupConfig))).toEqual([]);
  });

  it('keeps Kafka data on its volume and never creates topics by accident', () => {
    const kafka = compose.services.kafka!;
    const logDir = String(kafka.environment?.KAFKA_LOG_DIRS);
    expect((kafka.volumes ?? []).map((v) => v.split(':')[1])).toContain(logDir);
    expect(kafka.environment?.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });

  it('creates the target database the connector is pointed at', () => {
    const postgres = compose.services.postgres!;
    const init = (postgres.volumes ?? []).find((v) => v.split(':')[1] === '/docker-entrypoint-initdb.d');
    expect(init).toBeDefined();
    const dir = join(root, init!.split(':')[0]!);
    const scripts = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    const target = String(compose.services['provisioning-connector']!.environment?.TARGET_POSTGRES_URL);
    const database = /\/([a-z_]+)\}?$/.exec(target)?.[1];
    expect(database).toBe('kairos_target');
    expect(scripts).toMatch(new RegExp(`CREATE DATABASE ${database}\\b`));
  });

  it('declares every named volume it mounts', () => {
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(Object.keys(compose.volumes)).toContain(source);
      }
    }
  });
});
