import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadOrCreateIssuerKey, signToken, startLocalIssuer, type RunningIssuer } from '@kairos/auth';
import { issuerUrl, type PlatformLayout } from '../layout';
import { runnableEntries } from '../build/build';
import { buildConsole, consoleIssuerOptions, consoleOrigins, consoleUrl } from './console-site';
import { loadDemoData } from './demo-data';
import { credentialsKeyEnv } from './credentials-key';
import { loadOrCreateMessageKeys, type MessageKeyEnv } from './message-keys';
import { launcherNodeOptions } from './node-options';
import { postgresProcess, preparePostgresCluster } from './postgres';
import { httpOk, startProcess, type ManagedProcess, type ProcessSpec } from './processes';
import { runSetupStep } from './setup-step';

export interface RunningPlatform {
  readonly layout: PlatformLayout;
  readonly urls: Record<string, string>;
  readonly processes: ReadonlyMap<string, ManagedProcess>;
  stop(): Promise<void>;
}

export interface ServiceEntry {
  readonly name: string;
  readonly entry: string;
  readonly port: number;
  readonly env: NodeJS.ProcessEnv;
}

/** Where the launcher keeps the notifier's service token (minted by the local issuer, re-minted hourly). */
export const notifierTokenFile = (layout: PlatformLayout) => join(layout.dataDir, 'notifier', 'token');

/**
 * The notifier's mail server: the local mail catcher (ADR 0023) unless SMTP_HOST is set in the
 * launcher's environment, in which case the notifier reads the SMTP_* variables as they are.
 */
export const usesMailCatcher = (env: NodeJS.ProcessEnv = process.env) => (env.SMTP_HOST ?? '') === '';

/** A second (third…) replica of a service: its name in the process table and the port it listens on. */
export const REPLICA_PORT_OFFSET = 50;
export const replicaName = (service: string, replica: number) => (replica <= 1 ? service : `${service}-${replica}`);

/**
 * KAIROS_REPLICAS=n runs n replicas of every service side by side (same database, topics and
 * groups; replica k listens on the service's port + 50·(k-1)): scale-out as a cluster runs it.
 */
export function withReplicas(table: readonly ServiceEntry[], replicas: number): ServiceEntry[] {
  const n = Number.isInteger(replicas) && replicas > 1 ? Math.min(replicas, 4) : 1;
  return table.flatMap((service) =>
    Array.from({ length: n }, (_, i) => {
      const port = service.port + REPLICA_PORT_OFFSET * i;
      return i === 0 ? service : { ...service, name: replicaName(service.name, i + 1), port, env: { ...service.env, PORT: String(port) } };
    }),
  );
}

/** The six services and the variables each reads, as `npm start` wires them. */
export function serviceEntries(layout: PlatformLayout, urls: { database: string; targetDatabase: string; kafka: string; eventstore: string }, keys: MessageKeyEnv): ServiceEntry[] {
  const common = {
    DATABASE_URL: urls.database,
    AUTH_ISSUER: issuerUrl(layout),
    AUTH_AUDIENCE: layout.audience,
    AUTH_JWKS_URL: `${issuerUrl(layout)}/.well-known/jwks.json`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    CORS_ORIGINS: consoleOrigins(layout).join(','),
  };
  const p = layout.ports;
  return [
    { name: 'request-service', entry: 'apps/request-service/src/main.ts', port: p.requestService, env: { ...common, ...keys['request-service'], PORT: String(p.requestService), KAFKA_BROKERS: urls.kafka, EVENTSTORE_URL: urls.eventstore, APPROVAL_POLICY_URL: `http://127.0.0.1:${p.approvalPolicyService}` } },
    { name: 'approval-policy-service', entry: 'apps/approval-policy-service/src/main.ts', port: p.approvalPolicyService, env: { ...common, ...keys['approval-policy-service'], PORT: String(p.approvalPolicyService), KAFKA_BROKERS: urls.kafka, EVENTSTORE_URL: urls.eventstore, NOTIFIER_SUBJECTS: 'notifier' } },
    { name: 'provisioning-connector', entry: 'apps/provisioning-connector/src/main.ts', port: p.provisioningConnector, env: { ...common, ...keys['provisioning-connector'], PORT: String(p.provisioningConnector), KAFKA_BROKERS: urls.kafka, EVENTSTORE_URL: urls.eventstore, ...connectorEnv(urls.targetDatabase) } },
    { name: 'expiry-scheduler', entry: 'apps/expiry-scheduler/src/main.ts', port: p.expiryScheduler, env: { ...common, ...keys['expiry-scheduler'], PORT: String(p.expiryScheduler), KAFKA_BROKERS: urls.kafka } },
    { name: 'audit-projector', entry: 'apps/audit-projector/src/main.ts', port: p.auditProjector, env: { ...common, PORT: String(p.auditProjector), EVENTSTORE_URL: urls.eventstore } },
    {
      name: 'notifier',
      entry: 'apps/notifier/src/main.ts',
      port: p.notifier,
      env: {
        ...common,
        ...keys['notifier'],
        PORT: String(p.notifier),
        KAFKA_BROKERS: urls.kafka,
        APPROVAL_POLICY_URL: `http://127.0.0.1:${p.approvalPolicyService}`,
        NOTIFIER_TOKEN_FILE: notifierTokenFile(layout),
        CONSOLE_URL: process.env.CONSOLE_URL ?? consoleUrl(layout),
        // The demo's admins (group "platform") are the last-resort fallback approvers.
        ESCALATION_GROUP: process.env.ESCALATION_GROUP ?? 'platform',
        ...(usesMailCatcher() ? { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(p.mailSmtp), SMTP_FROM: 'Kairos <kairos@localhost>' } : {}),
      },
    },
  ];
}

export async function startPlatform(
  layout: PlatformLayout,
  onEvent: (msg: string) => void = () => undefined,
  options: { demoData?: boolean; env?: NodeJS.ProcessEnv; onTiming?: (msg: string) => void } = {},
): Promise<RunningPlatform> {
  // How long each start-up phase took (`npm start -- --verbose`).
  const timed = async <T>(phase: string, work: () => T | Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await work();
    options.onTiming?.(`${phase}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };
  const logDir = join(layout.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const processes = new Map<string, ManagedProcess>();
  // Which process has which pid, kept current across restarts: for operators, and for the fault tests.
  const pids: Record<string, number> = {};
  const recordPid = (name: string) => (pid: number) => {
    pids[name] = pid;
    try {
      writeFileSync(join(layout.dataDir, 'processes.json'), JSON.stringify(pids, null, 2));
    } catch {
      // A full disk: the pid table is for operators and tests, never a reason to stop.
    }
  };
  // The ordered stop of ADR 0012: the services (at once), then the two servers, then the issuer,
  // then PostgreSQL, each stage waiting for the one before.
  const stages: Record<'services' | 'servers' | 'issuer' | 'postgres', { stop(): Promise<void> }[]> = { services: [], servers: [], issuer: [], postgres: [] };
  const stop = async () => {
    for (const [stage, items] of Object.entries(stages)) {
      if (items.length === 0) continue;
      onEvent(`stopping ${stage === 'servers' ? 'the servers' : stage === 'postgres' ? 'PostgreSQL' : `the ${stage}`}`);
      await Promise.all(items.map((item) => item.stop().catch(() => undefined)));
    }
  };
  // Everything under way, so that a failure stops what did start (in order) only once nothing is still starting.
  const underWay: Promise<unknown>[] = [];
  const track = <T>(work: Promise<T>): Promise<T> => {
    underWay.push(work.catch(() => undefined));
    return work;
  };
  // The services' start signal (ADR 0033): given once setup is done and the servers and the issuer are up.
  let signalStart: () => void = () => undefined;
  let cancelStart: (reason: Error) => void = () => undefined;
  const startSignal = new Promise<void>((resolve, reject) => {
    signalStart = resolve;
    cancelStart = reject;
  });
  startSignal.catch(() => undefined);
  try {
    // What does not depend on anything starts at once: PostgreSQL (initdb on a first start), the
    // two servers, the mail catcher, the console's build and the keys. Setup waits for PostgreSQL
    // and the broker, the services for setup, the banner for every service (each one ready).
    onEvent('starting PostgreSQL, the EventStoreDB-compatible server and the Kafka-compatible broker');
    const clusterReady = track(timed('PostgreSQL cluster (initdb on a first start)', () => preparePostgresCluster({ dataDir: join(layout.dataDir, 'postgres'), port: layout.ports.postgres })));
    const postgresReady = track(
      (async () => {
        const cluster = await clusterReady;
        const pg = await timed('postgres ready', () => startProcess(postgresProcess(cluster, logDir, recordPid('postgres')), onEvent));
        stages.postgres.push(pg);
        processes.set('postgres', pg);
        await timed('databases', () => ensureDatabases(cluster.url, ['kairos', 'kairos_target']));
        return cluster.url;
      })(),
    );
    const server = (spec: Omit<ProcessSpec, 'logDir' | 'restart' | 'onSpawn' | 'readyLine'>) =>
      track(
        timed(`${spec.name} ready`, () => startProcess({ ...spec, readyLine: /ready/i, logDir, restart: true, onSpawn: recordPid(spec.name) }, onEvent)).then((started) => {
          stages.servers.push(started);
          processes.set(spec.name, started);
          return started;
        }),
      );
    const eventstoreReady = server({ name: 'eventstore', entry: 'infra/eventstore-server/src/main.ts', args: ['--port', String(layout.ports.eventstore), '--data', join(layout.dataDir, 'eventstore')] });
    // Auto-creation off, as on a production cluster: topics exist because setup made them.
    const kafkaReady = server({ name: 'kafka', entry: 'infra/kafka-broker/src/main.ts', args: ['--port', String(layout.ports.kafka), '--data', join(layout.dataDir, 'kafka'), '--partitions', '6', '--no-auto-create'] });
    const catcherReady = usesMailCatcher()
      ? server({ name: 'mail-catcher', entry: 'tools/start/mail-catcher-main.ts', args: ['--smtp-port', String(layout.ports.mailSmtp), '--http-port', String(layout.ports.mailHttp), '--store', join(layout.dataDir, 'mail', 'mails.jsonl')] })
      : Promise.resolve(undefined);
    const consoleBuilt = track(timed('web console build checked', () => buildConsole(onEvent)));

    const issuerKey = await timed('issuer key', () => loadOrCreateIssuerKey(join(layout.dataDir, 'issuer')));
    // One signing key per service, made on the first start; every service trusts the others' public keys.
    const messageKeys = await timed('message keys', () => loadOrCreateMessageKeys(join(layout.dataDir, 'message-keys')));
    // The key sealing short-lived credentials until fetched, kept so they survive a connector restart.
    const credentialsKey = credentialsKeyEnv(join(layout.dataDir, 'credentials-key'));
    const urls = {
      database: platformUrls(layout).postgres!,
      targetDatabase: platformUrls(layout)['target-postgres']!,
      kafka: `127.0.0.1:${layout.ports.kafka}`,
      eventstore: `esdb://127.0.0.1:${layout.ports.eventstore}?tls=false`,
    };
    const table = withReplicas(serviceEntries(layout, urls, messageKeys), Number(options.env?.KAIROS_REPLICAS ?? process.env.KAIROS_REPLICAS ?? 1));
    // The services run their production build (tools/build), rebuilt first when a source is newer.
    const runnable = await timed('service builds checked', () => runnableEntries(table, onEvent));

    // The services load their code while PostgreSQL starts and setup runs; they start (connect,
    // listen) only once setup is done and the servers and the issuer are up (ADR 0033).
    const servicesReady = table.map((service) =>
      track(
        timed(`${service.name} ready (from its spawn)`, async () => {
          // Spawned once initdb is done: on a first start it must not share the CPU with six services loading.
          await clusterReady;
          return startProcess({ name: service.name, entry: runnable(service.entry), env: { ...service.env, ...(service.name === 'provisioning-connector' ? credentialsKey : {}), ...options.env }, nodeOptions: serviceNodeOptions(service.entry), ready: () => httpOk(`http://127.0.0.1:${service.port}/health/live`), logDir, restart: true, onSpawn: recordPid(service.name), startSignal }, onEvent);
        }).then((started) => {
          stages.services.push(started);
          processes.set(service.name, started);
          return started;
        }),
      ),
    );

    const setupDone = track(
      (async () => {
        await Promise.all([postgresReady, kafkaReady]);
        onEvent('running kairos setup (topics, migrations)');
        await timed('kairos setup', () => runSetupStep({ kafka: urls.kafka, databaseUrl: urls.database, logDir, env: options.env }, onEvent));
      })(),
    );

    const p0 = platformUrls(layout);
    const apis = { requests: p0['request-service'], policy: p0['approval-policy-service'], provisioning: p0['provisioning-connector'], audit: p0['audit-projector'] };
    const issuer: RunningIssuer = await timed('issuer', async () => startLocalIssuer(issuerKey, { port: layout.ports.issuer, ...consoleIssuerOptions(layout, apis, await consoleBuilt) }));
    stages.issuer.push({ stop: () => issuer.close() });
    writeFileSync(join(layout.dataDir, 'issuer', 'issuer.json'), JSON.stringify({ issuer: issuer.issuer, audience: layout.audience }));
    // The notifier's service token, as a secret file it re-reads on every call (ADR 0017).
    const mintNotifierToken = async () => {
      const token = await signToken(issuerKey, { sub: 'notifier', roles: [], kind: 'service', issuer: issuer.issuer, audience: layout.audience, ttlSeconds: 12 * 3600 });
      mkdirSync(join(layout.dataDir, 'notifier'), { recursive: true, mode: 0o700 });
      writeFileSync(`${notifierTokenFile(layout)}.tmp`, token, { mode: 0o600 });
      renameSync(`${notifierTokenFile(layout)}.tmp`, notifierTokenFile(layout));
    };
    await mintNotifierToken();
    const tokenTimer = setInterval(() => void mintNotifierToken().catch((error: Error) => onEvent(`could not renew the notifier's token: ${error.message}`)), 3600_000);
    tokenTimer.unref();
    stages.issuer.push({ stop: async () => clearInterval(tokenTimer) });

    await Promise.all([setupDone, eventstoreReady, catcherReady]);
    onEvent(table.length > 6 ? `starting the six services, ${table.length / 6} replicas each` : 'starting the six services');
    const signalled = Date.now();
    signalStart();
    const p = layout.ports;
    // The demo data goes in through the policy service's API as soon as it answers, while the others still start.
    const demoLoaded =
      options.demoData === false
        ? Promise.resolve()
        : track(
            (async () => {
              await servicesReady[table.findIndex((service) => service.name === 'approval-policy-service')];
              onEvent('loading demo data (people, groups, resources, target database roles)');
              const adminToken = await signToken(issuerKey, { sub: 'admin', roles: ['admin'], issuer: issuer.issuer, audience: layout.audience, ttlSeconds: 300 });
              await timed('demo data', () => loadDemoData({ policyUrl: `http://127.0.0.1:${p.approvalPolicyService}`, adminToken, targetDatabaseUrl: urls.targetDatabase }));
            })(),
          );
    await Promise.all([...servicesReady, demoLoaded]);
    options.onTiming?.(`every service ready and the demo data loaded: ${((Date.now() - signalled) / 1000).toFixed(1)} s after the start signal`);
    return {
      layout,
      processes,
      urls: platformUrls(layout),
      stop,
    };
  } catch (error) {
    cancelStart(error as Error);
    await Promise.all(underWay);
    await stop();
    throw error;
  }
}

/**
 * Each service runs with its memory settings from infra/service-memory.conf, as in the image (ADR
 * 0032): a bounded young generation and heap, as under a container memory limit.
 */
function serviceNodeOptions(entry: string): string[] {
  return launcherNodeOptions(entry);
}

/** Where everything answers, as `npm start` lays it out. */
export function platformUrls(layout: PlatformLayout): Record<string, string> {
  const p = layout.ports;
  const postgres = (db: string) => `postgres://postgres:postgres@127.0.0.1:${p.postgres}/${db}`;
  return {
    'request-service': `http://127.0.0.1:${p.requestService}`,
    'approval-policy-service': `http://127.0.0.1:${p.approvalPolicyService}`,
    'provisioning-connector': `http://127.0.0.1:${p.provisioningConnector}`,
    'expiry-scheduler': `http://127.0.0.1:${p.expiryScheduler}`,
    'audit-projector': `http://127.0.0.1:${p.auditProjector}`,
    notifier: `http://127.0.0.1:${p.notifier}`,
    'mail-catcher': `http://127.0.0.1:${p.mailHttp}`,
    issuer: issuerUrl(layout),
    console: consoleUrl(layout),
    eventstore: `esdb://127.0.0.1:${p.eventstore}?tls=false`,
    kafka: `127.0.0.1:${p.kafka}`,
    postgres: postgres('kairos'),
    'target-postgres': postgres('kairos_target'),
  };
}

async function ensureDatabases(adminUrl: string, names: string[]): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const name of names) {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
    }
  } finally {
    await client.end();
  }
}

/** Each connector plug-in's demo settings, from the one list (apps/provisioning-connector/src/adapters/connectors). */
function connectorEnv(targetDatabase: string): Record<string, string> {
  const registry = require(join(__dirname, '..', '..', 'apps', 'provisioning-connector', 'src', 'adapters', 'connectors', 'registry.ts')) as {
    connectorLauncherEnv(urls: { targetDatabase: string }): Record<string, string>;
  };
  return registry.connectorLauncherEnv({ targetDatabase });
}
