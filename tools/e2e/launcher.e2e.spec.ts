import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { poll, startHarness, type Harness } from './platform-harness';

/**
 * The launcher of `npm start` as a person runs it (ADR 0012): a supervisor that survives its own
 * write errors, restarts PostgreSQL like any other process, and stops in order on Ctrl-C.
 */
describe('the launcher (npm start)', () => {
  let h: Harness;
  let logs: string;
  let mounted = false;

  beforeAll(async () => {
    h = await startHarness(
      {},
      {
        detached: true,
        // The logs on a filesystem of 2 MiB the test can fill (tmpfs, as root; CI runs as root).
        beforeStart: (dataDir) => {
          logs = join(dataDir, 'logs');
          mkdirSync(logs, { recursive: true });
          execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', logs]);
          mounted = true;
        },
      },
    );
  }, 240_000);

  afterAll(async () => {
    if (h && h.launcher.exitCode === null) await h.stop();
    if (mounted) execFileSync('umount', ['-l', logs]);
    if (h) rmSync(h.dataDir, { recursive: true, force: true });
  }, 90_000);

  const ready = async (service: string) => {
    try {
      return (await fetch(`${h.urls[service]}/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
      return false;
    }
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const processGroup = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[2]);

  it('survives ENOSPC on its log files: the launcher and every child go on, and logging resumes when there is room', async () => {
    const before = { ...h.pids() };
    // Fill the log filesystem to the last byte.
    const filler = join(logs, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      // dd stops with "No space left on device": that is the point
    }
    expect(() => writeFileSync(join(logs, 'probe'), Buffer.alloc(64 * 1024))).toThrow(/ENOSPC/);
    // A service crashes while nothing can be written: its restart and its start-up output go nowhere.
    // (More than the last partly used page of its log file can take.)
    for (let i = 0; i < 3; i++) await h.crash('expiry-scheduler');
    await new Promise((r) => setTimeout(r, 3_000));
    expect(h.launcher.exitCode).toBeNull();
    const after = h.pids();
    for (const [name, pid] of Object.entries(before)) {
      if (name === 'expiry-scheduler') continue;
      expect(after[name]).toBe(pid);
      expect(alive(pid)).toBe(true);
    }
    expect(await ready('request-service')).toBe(true);
    expect(h.launcherOutput()).toMatch(/expiry-scheduler exited \(code null, signal SIGKILL\); restarting/);

    rmSync(filler);
    const log = join(logs, 'expiry-scheduler.log');
    const sizeWithRoom = statSync(log).size;
    await h.crash('expiry-scheduler');
    await poll('the service log written again', async () => statSync(log).size > sizeWithRoom, 30_000);
    expect(readFileSync(log, 'utf8')).toMatch(/\d+ bytes of output dropped while this log could not be written/);
  }, 120_000);

  it('restarts PostgreSQL after kill -9 of the postmaster, clearing its stale postmaster.pid, and the platform is ready again', async () => {
    const postmaster = h.pids().postgres!;
    expect(readFileSync(join(h.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(String(postmaster));
    process.kill(postmaster, 'SIGKILL');
    await poll('PostgreSQL restarted', async () => {
      const next = h.pids().postgres;
      return next !== undefined && next !== postmaster && alive(next);
    }, 120_000);
    expect(h.launcherOutput()).toMatch(/postgres exited \(code null, signal SIGKILL\); restarting/);
    const client = new Client({ connectionString: h.urls.postgres });
    await poll('PostgreSQL answers', async () => {
      const c = new Client({ connectionString: h.urls.postgres });
      await c.connect();
      await c.end();
      return true;
    }, 120_000);
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await client.end();
    for (const service of ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector']) {
      await poll(`${service} ready again`, () => ready(service), 60_000);
    }
  }, 150_000);

  it('a stale postmaster.pid naming a live process that is not PostgreSQL does not keep PostgreSQL down', async () => {
    const postmaster = h.pids().postgres!;
    process.kill(postmaster, 'SIGKILL');
    // What a reused pid looks like: the file names a live process (this test runner).
    await new Promise((r) => setTimeout(r, 100));
    const pidFile = join(h.dataDir, 'postgres', 'postmaster.pid');
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    writeFileSync(pidFile, [String(process.pid), ...lines.slice(1)].join('\n'));
    await poll('PostgreSQL restarted over a pid file naming another process', async () => {
      const next = h.pids().postgres;
      return next !== undefined && next !== postmaster && alive(next) && readFileSync(pidFile, 'utf8').startsWith(`${next}\n`);
    }, 120_000);
    await poll('request-service ready again', () => ready('request-service'), 60_000);
  }, 120_000);

  it('Ctrl-C stops the services first, then the servers, then PostgreSQL, and prints "stopped"', async () => {
    const pids = h.pids();
    // PostgreSQL is not in the launcher's process group: a terminal's SIGINT reaches only the launcher.
    expect(processGroup(pids.postgres!)).not.toBe(processGroup(h.launcher.pid!));
    for (const name of ['eventstore', 'kafka', 'request-service']) expect(processGroup(pids[name]!)).not.toBe(processGroup(h.launcher.pid!));
    const gone: Record<string, number> = {};
    const watch = setInterval(() => {
      for (const [name, pid] of Object.entries(pids)) if (gone[name] === undefined && !alive(pid)) gone[name] = Date.now();
    }, 10);
    const t0 = Date.now();
    try {
      await h.stop({ group: true });
      await poll('every process gone', async () => Object.keys(pids).every((n) => gone[n] !== undefined), 20_000);
    } finally {
      clearInterval(watch);
    }
    expect(h.launcher.exitCode).toBe(0);
    const out = h.launcherOutput();
    expect(out).toMatch(/SIGINT: stopping/);
    expect(out).toMatch(/\[kairos\] stopped\n/);
    expect(out.indexOf('stopping the services')).toBeLessThan(out.indexOf('stopping the servers'));
    expect(out.indexOf('stopping the servers')).toBeLessThan(out.indexOf('stopping PostgreSQL'));
    const services = ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector'];
    const lastService = Math.max(...services.map((s) => gone[s]!));
    const firstServer = Math.min(gone.eventstore!, gone.kafka!);
    const lastServer = Math.max(gone.eventstore!, gone.kafka!);
    expect(lastService).toBeLessThanOrEqual(firstServer);
    expect(lastServer).toBeLessThanOrEqual(gone.postgres!);
    // Stopped cleanly, not killed after the 10 s grace.
    expect(gone.postgres! - t0).toBeLessThan(20_000);
    expect(readFileSync(join(logs, 'postgres.log'), 'utf8')).toMatch(/received fast shutdown request/);
  }, 90_000);
});
