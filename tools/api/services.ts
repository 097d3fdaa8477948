import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { Role } from '@kairos/auth';
import { loadConfig, type ConfigSpec, type VarSpec } from '@kairos/config';
import { createServiceApp, type ServiceAppOptions } from '@kairos/http';
import * as testing from '@kairos/testing';
import { ensureKairosTopics } from '@kairos/messaging';

export const ROOT = join(__dirname, '..', '..');
export const OPENAPI_DIR = join(ROOT, 'api', 'openapi');
export const GENERATED_DIR = join(ROOT, 'libs', 'api-client', 'src', 'generated');

/**
 * Every deployable service under apps/: a folder with src/config.ts (`config`), src/api-docs.ts
 * (`apiDocs`) and a module whose class has `forRoot(config)`. A new service (the notifier) is
 * exported as soon as it follows the same shape.
 */
export interface ServiceEntry {
  readonly name: string;
  readonly spec: ConfigSpec;
  readonly docs: ServiceAppOptions;
  readonly module: (config: unknown) => object;
}

export function discoverServices(): ServiceEntry[] {
  const apps = join(ROOT, 'apps');
  return readdirSync(apps)
    .filter((name) => existsSync(join(apps, name, 'src', 'config.ts')) && existsSync(join(apps, name, 'src', 'main.ts')))
    .sort()
    .map((name) => {
      const src = join(apps, name, 'src');
      const moduleFile = readdirSync(src).find((file) => file.endsWith('.module.ts'));
      if (!moduleFile) throw new Error(`apps/${name}: no *.module.ts`);
      const exports = require(join(src, moduleFile)) as Record<string, { forRoot?: (config: unknown) => object }>;
      const root = Object.values(exports).find((value) => typeof value?.forRoot === 'function');
      if (!root) throw new Error(`apps/${name}/src/${moduleFile}: no module class with forRoot(config)`);
      const docs = existsSync(join(src, 'api-docs.ts'))
        ? (require(join(src, 'api-docs.ts')) as { apiDocs: ServiceAppOptions }).apiDocs
        : { title: `Kairos ${name}`, description: name };
      return {
        name,
        spec: (require(join(src, 'config.ts')) as { config: ConfigSpec }).config,
        docs,
        module: (config) => root.forRoot!(config),
      };
    });
}

/** A stand-in for a required variable no shared setting covers (a document does not depend on it). */
function placeholder(spec: VarSpec): string {
  switch (spec.type) {
    case 'url':
      return `${spec.protocols?.[0] ?? 'http'}://127.0.0.1:9`;
    case 'int':
      return String(spec.min ?? 0);
    case 'bool':
      return 'false';
    case 'enum':
      return spec.values[0] ?? '';
    case 'list':
      return '';
    default:
      return 'placeholder';
  }
}

export interface RunningServices {
  readonly apps: ReadonlyMap<string, INestApplication>;
  /** The OpenAPI document the service serves at /docs-json. */
  document(name: string): Promise<unknown>;
  /** A token of the run's issuer, which every service trusts. */
  token(sub: string, roles: Role[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * Boots every service in-process as the platform runs it (createServiceApp), on a database of its
 * own in the PostgreSQL cluster named by KAIROS_TEST_PG_URL and the local Kafka broker, EventStoreDB
 * server and token issuer — the int specs' harness, with no platform running.
 */
export async function startServices(
  services = discoverServices(),
  extraEnv: (service: string, started: ReadonlyMap<string, INestApplication>) => Promise<Record<string, string>> = async () => ({}),
): Promise<RunningServices> {
  const [db, kafka, eventstore, issuer] = await Promise.all([
    testing.createTestDatabase('api'),
    testing.startTestKafka(),
    testing.startTestEventStore(),
    testing.startTestIssuer(),
  ]);
  // Topics exist because setup made them: the services never create any (issue 14).
  await ensureKairosTopics(kafka.brokers);
  const common: Record<string, string> = {
    ...testing.authEnv(issuer),
    DATABASE_URL: db.url,
    KAFKA_BROKERS: kafka.brokers.join(','),
    EVENTSTORE_URL: eventstore.connectionString,
    TARGET_POSTGRES_URL: db.url,
    LOG_LEVEL: 'error',
    PORT: '0',
  };
  const apps = new Map<string, INestApplication>();
  const close = async () => {
    for (const app of apps.values()) await app.close().catch(() => undefined);
    await Promise.all([kafka.close(), eventstore.close(), issuer.close()]);
    await db.drop();
  };
  try {
    for (const service of services) {
      let keys: Record<string, string> = {};
      try {
        keys = testing.messageKeysEnv(service.name as never);
      } catch {
        keys = {}; // not a Kafka producer
      }
      const env: Record<string, string> = { ...common, ...keys, ...(await extraEnv(service.name, apps)) };
      for (const [name, spec] of Object.entries(service.spec)) {
        if (env[name] === undefined && (spec as { default?: unknown }).default === undefined) env[name] = placeholder(spec as VarSpec);
      }
      const app = await createServiceApp(service.module(loadConfig(service.spec, env)), service.docs);
      await app.init();
      apps.set(service.name, app);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    apps,
    document: async (name) => {
      const res = await request(apps.get(name)!.getHttpServer()).get('/docs-json');
      if (res.status !== 200) throw new Error(`${name} answered ${res.status} for /docs-json`);
      return res.body;
    },
    token: (sub, roles) => issuer.token(sub, roles),
    close,
  };
}

/** The types generated in a child process (openapi-typescript needs Node's require(esm), which jest does not offer). */
export function generatedTypesOf(documentFile: string): string {
  const child = spawnSync(
    process.execPath,
    [join(ROOT, 'tools', 'run-ts.js'), join(ROOT, 'tools', 'api', 'generate-types.ts'), documentFile],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (child.status !== 0) throw new Error(`generating types from ${documentFile} failed: ${child.stderr}`);
  return child.stdout;
}

/** Stable text for a committed document: two-space JSON and a final newline. */
export const documentText = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;

/** The generated types of one document, with openapi-typescript. */
export async function generatedTypes(document: unknown): Promise<string> {
  const { default: openapiTS, astToString } = require('openapi-typescript') as typeof import('openapi-typescript');
  // A property with a default is still optional to send (the service fills it in).
  const ast = await openapiTS(document as never, { alphabetize: true, defaultNonNullable: false });
  return `// Generated by \`npm run api:export\` from api/openapi; do not edit.\n\n${astToString(ast)}`;
}
