import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadOrCreateIssuerKey, signToken, type Role } from '@kairos/auth';
import { issuerUrl, platformLayout, type PlatformLayout } from '../layout';
import { startPlatform, type RunningPlatform } from '../start/platform';

export type Service = 'request-service' | 'approval-policy-service' | 'provisioning-connector' | 'expiry-scheduler' | 'audit-projector';

export interface Harness {
  readonly platform: RunningPlatform;
  readonly layout: PlatformLayout;
  token(sub: string, roles: Role[], kind?: 'person' | 'service'): Promise<string>;
  call(service: Service, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  targetRoleMembers(targetRole: string): Promise<string[]>;
  /** kill -9 one process of the platform; its supervisor restarts it. Resolves once it answers again. */
  crash(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** The whole platform as `npm start` runs it (separate processes), on free ports and a scratch data folder. */
export async function startHarness(env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-e2e-'));
  const base = 20_000 + Math.floor(Math.random() * 400) * 100;
  const layout = platformLayout({ KAIROS_DATA_DIR: dataDir, KAIROS_PORT_BASE: String(base) });
  const platform = await startPlatform(layout, () => undefined, { demoData: true, env });
  const key = await loadOrCreateIssuerKey(join(dataDir, 'issuer'));
  return {
    platform,
    layout,
    token: (sub, roles, kind = 'person') => signToken(key, { sub, roles, kind, issuer: issuerUrl(layout), audience: layout.audience, ttlSeconds: 3600 }),
    call: async (service, token, method, path, body) => {
      const res = await fetch(`${platform.urls[service]}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
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
      const client = new Client({ connectionString: platform.urls['target-postgres'] });
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
    crash: async (name) => {
      const managed = platform.processes.get(name);
      const child = managed?.child();
      if (!child?.pid) throw new Error(`no running process named ${name}`);
      const pid = child.pid;
      process.kill(pid, 'SIGKILL');
      await poll(`${name} restarted`, async () => {
        const next = managed!.child();
        return next?.pid !== undefined && next.pid !== pid && next.exitCode === null && (await answers(platform, name));
      }, 120_000);
    },
    stop: async () => {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
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

async function answers(platform: RunningPlatform, name: string): Promise<boolean> {
  if (name in platform.urls && platform.urls[name]!.startsWith('http')) {
    try {
      return (await fetch(`${platform.urls[name]}/health/live`, { signal: AbortSignal.timeout(1_000) })).ok;
    } catch {
      return false;
    }
  }
  const port = Number((platform.urls[name] ?? '').match(/:(\d+)/)?.[1]);
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
