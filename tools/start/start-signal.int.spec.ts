import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, type ManagedProcess } from './processes';

/**
 * The launcher spawns the services while setup still runs (ADR 0033): a real child process loads,
 * then waits for the start signal; it starts only once the signal is given, and a cancelled signal
 * stops it for good (no restart, never started).
 */
describe('the start signal of npm start', () => {
  const entry = join(__dirname, 'testing', 'start-signal-child.ts');
  let logDir: string;
  let started: ManagedProcess | undefined;

  beforeEach(() => {
    logDir = mkdtempSync(join(tmpdir(), 'kairos-start-signal-'));
  });
  afterEach(async () => {
    await started?.stop();
    started = undefined;
    rmSync(logDir, { recursive: true, force: true });
  });

  const log = () => {
    try {
      return readFileSync(join(logDir, 'child.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  it('loads the child at once, and starts it only when the signal is given', async () => {
    let signal: () => void = () => undefined;
    const startSignal = new Promise<void>((resolve) => (signal = resolve));
    let ready = false;
    const starting = startProcess(
      { name: 'child', entry, readyLine: /^started$/m, logDir, restart: true, startSignal },
      () => undefined,
    ).then((child) => {
      ready = true;
      return child;
    });
    await until(() => log().includes('loaded'));
    expect(log()).not.toContain('started');
    expect(ready).toBe(false);
    signal();
    started = await starting;
    expect(log()).toContain('started');
  });

  it('stops the child without ever starting it when the signal is cancelled (setup failed), and does not restart it', async () => {
    let cancel: (reason: Error) => void = () => undefined;
    const startSignal = new Promise<void>((_, reject) => (cancel = reject));
    startSignal.catch(() => undefined);
    const events: string[] = [];
    const starting = startProcess({ name: 'child', entry, readyLine: /^started$/m, logDir, restart: true, startSignal }, (msg) =>
      events.push(msg),
    );
    await until(() => log().includes('loaded'));
    cancel(new Error('setup failed'));
    await expect(starting).rejects.toThrow(/exited before it was ready \(code null, signal SIGTERM\)/);
    expect(log()).not.toContain('started');
    expect(events.filter((msg) => msg.includes('restarting'))).toEqual([]);
  });
});
