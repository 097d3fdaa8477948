import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { generateIssuerKey, startLocalIssuer } from '@kairos/auth';
import { startEmbeddedPostgres, startTestEventStore, startTestKafka, type RunningPostgres } from '@kairos/testing';
import { platformLayout } from '../layout';
import { loadOrCreateMessageKeys } from '../start/message-keys';
import { serviceEntries, type ServiceEntry } from '../start/platform';

/**
 * The embedded platform's servers (PostgreSQL, the token issuer, the EventStoreDB-compatible server
 * and the Kafka-compatible broker) in this process, and each service's variables exactly as
 * `npm start` sets them: for tests and benchmarks that start services from a build or an image.
 */
export interface EmbeddedInfra {
  readonly services: readonly ServiceEntry[];
  readonly urls: { database: string; targetDatabase: string; kafka: string; eventstore: string; adminDatabase: string };
  stop(): Promise<void>;
}

export async function startEmbeddedInfra(dataDir: string, options: { postgresUrl?: string; portBase?: number } = {}): Promise<EmbeddedInfra> {
  mkdirSync(dataDir, { recursive: true });
  // As root, PostgreSQL runs as `postgres`, which must be able to reach its data folder.
  chmodSync(dataDir, 0o755);
  const stops: (() => Promise<unknown>)[] = [];
  // The jest run's cluster when given (KAIROS_TEST_PG_URL), else one of its own.
  let pg: Pick<RunningPostgres, 'url'>;
  if (options.postgresUrl) pg = { url: options.postgresUrl };
  else {
    const own = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres') });
    stops.push(() => own.stop());
    pg = own;
  }
  const suffix = Math.random().toString(36).slice(2, 8);
  const db = `kairos_${suffix}`;
  const targetDb = `kairos_target_${suffix}`;
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${db}"`);
  await admin.query(`CREATE DATABASE "${targetDb}"`);
  await admin.end();
  const base = options.portBase ?? 20000 + Math.floor(Math.random() * 20000);
  const layout = platformLayout({ KAIROS_PORT_BASE: String(base), KAIROS_DATA_DIR: dataDir });
  const issuer = await startLocalIssuer(await generateIssuerKey(), { port: layout.ports.issuer });
  stops.push(() => issuer.close());
  const kafka = await startTestKafka({ numPartitions: 6 });
  stops.push(() => kafka.close());
  const eventstore = await startTestEventStore();
  stops.push(() => eventstore.close());
  const urls = {
    adminDatabase: pg.url,
    database: pg.url.replace(/\/postgres$/, `/${db}`),
    targetDatabase: pg.url.replace(/\/postgres$/, `/${targetDb}`),
    kafka: kafka.brokers[0]!,
    eventstore: eventstore.connectionString,
  };
  const keys = loadOrCreateMessageKeys(join(dataDir, 'message-keys'));
  return {
    services: serviceEntries(layout, urls, keys),
    urls,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}

export interface RunningService {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `node <args>` with only the given variables (and PATH), as a container would. */
export function spawnNode(args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): RunningService {
  const child = spawn(process.execPath, [...args], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return {
    child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Polls until `url` answers 2xx; returns the milliseconds it took. */
export async function waitForOk(url: string, service: RunningService, timeoutMs = 90_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (service.child.exitCode !== null) throw new Error(`exited with ${service.child.exitCode} before ${url} answered:\n${service.output().slice(-3000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 2xx within ${timeoutMs} ms:\n${service.output().slice(-3000)}`);
}

/** Resident set size of a process in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}
