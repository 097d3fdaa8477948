import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { LocalIssuerOptions, SignInIdentity } from '@kairos/auth';
import { issuerUrl, type PlatformLayout } from '../layout';

/**
 * The web console as `npm start` serves it: its static build, served by the issuer's process on the
 * issuer's port (one more URL in the banner, no more processes), with /config.json saying where the
 * issuer and the APIs are, and a strict Content-Security-Policy. Anywhere else, the same static files
 * go behind any web server with a config.json of their own.
 */
const root = resolve(__dirname, '..', '..');
const sources = join(root, 'apps', 'console');

/** The people of the demo data, as the embedded issuer's sign-in page offers them. */
export const demoSignInIdentities: readonly SignInIdentity[] = [
  { sub: 'alice', name: 'Alice Engineer', roles: ['requester'], description: 'engineer; asks for access (reports to Maria)' },
  { sub: 'dave', name: 'Dave Developer', roles: ['requester'], description: 'developer; asks for access (reports to Maria)' },
  { sub: 'maria', name: 'Maria Manager', roles: ['requester', 'approver'], description: "manager; approves her team's requests, owns the billing dashboard" },
  { sub: 'bob', name: 'Bob DBA', roles: ['requester', 'approver'], description: 'database owner; approves and fulfils for the databases and the payments API' },
  { sub: 'erin', name: 'Erin Security', roles: ['requester', 'approver'], description: 'security; approves the sensitive tiers and ratifies break-glass' },
  { sub: 'frank', name: 'Frank Security', roles: ['requester', 'approver'], description: 'security; the second approver of the sensitive tiers' },
  { sub: 'admin', name: 'Ada Admin', roles: ['admin'], description: 'administrator: catalogue, directory, tickets, requests on behalf, revocation' },
  { sub: 'audrey', name: 'Audrey Auditor', roles: ['auditor'], description: 'auditor: timelines, who had access when, evidence and summaries' },
];

/** The console's origins: both spellings of the loopback address a newcomer may type. */
export function consoleOrigins(layout: PlatformLayout): string[] {
  return [`http://127.0.0.1:${layout.ports.issuer}`, `http://localhost:${layout.ports.issuer}`];
}

export const consoleUrl = (layout: PlatformLayout) => `${issuerUrl(layout)}/`;

/**
 * The issuer's options for `npm start`: sign-in for the console and the CLI, CORS, and the console's
 * files (`dir`, from buildConsole; none when it could not be built).
 */
export function consoleIssuerOptions(layout: PlatformLayout, apis: { requests: string; policy: string; provisioning: string; audit: string }, dir: string | undefined): Partial<LocalIssuerOptions> {
  const origins = consoleOrigins(layout);
  const config = { issuer: issuerUrl(layout), clientId: 'kairos-console', apis };
  return {
    audience: layout.audience,
    corsOrigins: origins,
    signIn: {
      identities: demoSignInIdentities,
      clients: [
        { clientId: 'kairos-console', redirectUris: origins.map((o) => `${o}/`) },
        { clientId: 'kairos-cli', redirectUris: ['http://127.0.0.1/callback', 'http://localhost/callback'] },
      ],
    },
    fallback: dir ? staticConsole(dir, config) : undefined,
  };
}

/**
 * The console's static build: `dist/apps/console` (where `nx build console` puts it), built first
 * when its sources are newer (a few seconds, in a child while the rest of the platform starts), so
 * every data folder of this checkout shares one build; or KAIROS_CONSOLE_DIR (a build made elsewhere).
 */
export async function buildConsole(onEvent: (msg: string) => void, out = join(root, 'dist', 'apps', 'console')): Promise<string | undefined> {
  if (process.env.KAIROS_CONSOLE_DIR) return resolve(process.env.KAIROS_CONSOLE_DIR);
  const built = existsSync(join(out, 'index.html')) ? statSync(join(out, 'index.html')).mtimeMs : 0;
  // The console bundles the typed client, so a change to either rebuilds it.
  if (built > Math.max(newestSource(sources), newestSource(join(root, 'libs', 'api-client')))) return out;
  onEvent('building the web console');
  // Built beside and swapped in, so a launcher serving the previous build never sees half a build.
  const next = `${out}.tmp-${process.pid}`;
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const child = spawn(process.execPath, [vite, 'build', '--config', join(sources, 'vite.config.mts'), '--logLevel', 'warn'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', KAIROS_CONSOLE_OUT_DIR: next },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-8_192));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const status = await new Promise<number | null>((done) => {
    child.once('error', (error) => {
      output += error.message;
      done(null);
    });
    child.once('close', (code) => done(code));
  });
  if (status !== 0) {
    rmSync(next, { recursive: true, force: true });
    onEvent(`the web console could not be built (the APIs run without it): ${output.trim().split('\n').slice(-3).join(' / ')}`);
    return undefined;
  }
  writeFileSync(join(next, '.built'), new Date().toISOString());
  const old = `${out}.old-${process.pid}`;
  try {
    if (existsSync(out)) renameSync(out, old);
    renameSync(next, out);
  } catch (error) {
    // Another launcher swapped its build (of the same sources) in first: that one is served.
    rmSync(next, { recursive: true, force: true });
    if (!existsSync(join(out, 'index.html'))) throw error;
  }
  rmSync(old, { recursive: true, force: true });
  return out;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The console's Content-Security-Policy: its own files only, and connections to the issuer and the APIs. */
export function consoleCsp(config: { issuer: string; apis: Record<string, string> }): string {
  const connect = new Set(["'self'", new URL(config.issuer).origin, ...Object.values(config.apis).map((u) => new URL(u).origin)]);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${[...connect].join(' ')}`,
    "form-action 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

export function staticConsole(dir: string, config: { issuer: string; clientId: string; apis: Record<string, string> }) {
  const csp = consoleCsp(config);
  const base = resolve(dir);
  const headers = (type: string, cache: string) => ({
    'content-type': type,
    'cache-control': cache,
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  });
  return (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/config.json') {
      res.writeHead(200, headers('application/json', 'no-store')).end(JSON.stringify(config));
      return true;
    }
    const file = path === '/' || path === '/index.html' ? join(base, 'index.html') : normalize(join(base, decodeURIComponentSafe(path)));
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile() || path.includes('/.')) return false;
    const cache = file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable';
    res.writeHead(200, headers(TYPES[extname(file)] ?? 'application/octet-stream', cache));
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
    return true;
  };
}

function decodeURIComponentSafe(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return '/\0';
  }
}
