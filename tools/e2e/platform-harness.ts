import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadOrCreateIssuerKey, signToken, type Role } from '@kairos/auth';
import { issuerUrl, platformLayout, type PlatformLayout } from '../layout';
import { platformUrls, REPLICA_PORT_OFFSET, replicaName } from '../start/platform';

export type BaseService = 'request-service' | 'approval-policy-service' | 'provisioning-connector' | 'expiry-scheduler' | 'audit-projector';
/** A service, or one of its further replicas (`request-service-2`) when the platform runs several. */
export type Service = BaseService | `${BaseService}-${number}`;

export interface Harness {
  readonly layout: PlatformLayout;
  readonly dataDir: string;
  readonly urls: Record<string, string>;
  token(sub: string, roles: Role[], kind?: 'person' | 'service'): Promise<string>;
  call(service: Service, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  targetRoleMembers(targetRole: string): Promise<string[]>;
  /** The pid of each platform process, as the launcher records it. */
  pids(): Record<string, number>;
  /** kill -9 one process of the platform; its supervisor restarts it. Resolves once it answers again. */
  crash(name: string): Promise<void>;
  /** The launcher itself (`npm start`). */
  readonly launcher: ChildProcess;
  /** Everything the launcher printed so far. */
  launcherOutput(): string;
  /**
   * Stops the platform as a person does: SIGINT to the launcher, or (`group`) to the launcher's
   * whole process group as a terminal's Ctrl-C does (needs `detached`).
   */
  stop(options?: { group?: boolean }): Promise<void>;
}

export interface HarnessOptions {
  /** The launcher in a process group of its own, as in a terminal: `stop({ group: true })` is a Ctrl-C. */
  readonly detached?: boolean;
  /** Runs on the empty data folder before the launcher starts (a small filesystem mounted in it, say). */
  readonly beforeStart?: (dataDir: string) => void;
  /** Replicas of every service side by side (KAIROS_REPLICAS): `request-service-2`… in `urls`, `call` and `crash`. */
  readonly replicas?: number;
}

const root = join(__dirname, '..', '..');

/**
 * The whole platform exactly as `npm start` runs it (the launcher and every service and server in
 * processes of their own), on free ports and a scratch data folder.
 */
export async function startHarness(env: NodeJS.ProcessEnv = {}, options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-e2e-'));
  // As root, PostgreSQL runs as the postgres user, which must be able to reach its folder inside.
  chmodSync(dataDir, 0o755);
  options.beforeStart?.(dataDir);
  // Below the kernel's ephemeral range (32768 and up), so an outgoing connection never holds a port
  // the platform is about to listen on.
  const base = 20_000 + Math.floor(Math.random() * 120) * 100;
  const layout = platformLayout({ KAIROS_DATA_DIR: dataDir, KAIROS_PORT_BASE: String(base) });
  const urls = platformUrls(layout);
  const replicas = options.replicas ?? 1;
  for (let replica = 2; replica <= replicas; replica++) {
    for (const service of ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector', 'notifier']) {
      const port = Number(new URL(urls[service]!).port) + REPLICA_PORT_OFFSET * (replica - 1);
      urls[replicaName(service, replica)] = `http://127.0.0.1:${port}`;
    }
  }
  const launcher = spawn(process.execPath, [join(root, 'tools', 'run-ts.js'), join(root, 'tools', 'start', 'main.ts')], {
    cwd: root,
    env: { ...process.env, ...env, KAIROS_DATA_DIR: dataDir, KAIROS_PORT_BASE: String(base), KAIROS_DEMO_DATA: 'true', ...(replicas > 1 ? { KAIROS_REPLICAS: String(replicas) } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let output = '';
  launcher.stdout!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  launcher.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the platform did not start within 240 s:\n${out}`)), 240_000);
    launcher.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Kairos is running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    launcher.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the launcher exited with ${code} before the platform was up:\n${output}`));
    });
  });
  const key = await loadOrCreateIssuerKey(join(dataDir, 'issuer'));
  const pids = () => JSON.parse(readFileSync(join(dataDir, 'processes.json'), 'utf8')) as Record<string, number>;
  return {
    layout,
    dataDir,
    urls,
    token: (sub, roles, kind = 'person') => signToken(key, { sub, roles, kind, issuer: issuerUrl(layout), audience: layout.audience, ttlSeconds: 3600 }),
    call: async (service, token, method, path, body) => {
      const res = await fetch(`${urls[service]}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // CSV and other text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    targetRoleMembers: async (targetRole) => {
      const client = new Client({ connectionString: urls['target-postgres'] });
      await client.connect();
      try {
        const rows = await client.query(
          `SELECT m.rolname FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member WHERE r.rolname = $1 ORDER BY 1`,
          [targetRole],
        );
        return rows.rows.map((r: { rolname: string }) => r.rolname);
      } finally {
        await client.end();
      }
    },
    pids,
    crash: async (name) => {
      const pid = pids()[name];
      if (!pid) throw new Error(`no running process named ${name}`);
      process.kill(pid, 'SIGKILL');
      await poll(`${name} restarted`, async () => {
        const next = pids()[name];
        return next !== undefined && next !== pid && (await answers(urls, name));
      }, 120_000);
    },
    launcher,
    launcherOutput: () => output,
    stop: async (stopOptions = {}) => {
      await stopLauncher(launcher, stopOptions.group ?? false);
      try {
        writeFileSync(join(dataDir, 'launcher.log'), output);
      } catch {
        // a full or unmounted data folder
      }
      if (process.env.KAIROS_E2E_KEEP) process.stdout.write(`kept the platform's data and logs in ${dataDir}\n`);
      else {
        try {
          rmSync(dataDir, { recursive: true, force: true });
        } catch {
          // a filesystem a test mounted inside it: the test unmounts and removes it
        }
      }
    },
  };
}

async function stopLauncher(launcher: ChildProcess, group: boolean): Promise<void> {
  if (launcher.exitCode !== null || launcher.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => launcher.kill('SIGKILL'), 45_000);
    launcher.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (group) process.kill(-launcher.pid!, 'SIGINT');
    else launcher.kill('SIGINT');
  });
}

async function answers(urls: Record<string, string>, name: string): Promise<boolean> {
  const url = urls[name] ?? '';
  if (url.startsWith('http')) {
    try {
      return (await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1_000) })).ok;
    } catch {
      return false;
    }
  }
  const port = Number(/:(\d+)/.exec(url)?.[1]);
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function poll<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
