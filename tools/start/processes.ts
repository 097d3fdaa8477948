import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export interface ManagedProcess {
  readonly name: string;
  readonly child: () => ChildProcess | undefined;
  stop(): Promise<void>;
}

export interface ProcessSpec {
  readonly name: string;
  /** A TypeScript (or built JavaScript) entry run by Node; or `executable` for a native program. */
  readonly entry: string;
  /** A native program (PostgreSQL) run instead of Node with `entry`; `args` are its arguments. */
  readonly executable?: string;
  /** Run as this user and group (PostgreSQL refuses to run as root). */
  readonly uid?: number;
  readonly gid?: number;
  /** The signal that stops it cleanly (PostgreSQL: SIGINT, its fast shutdown). */
  readonly stopSignal?: NodeJS.Signals;
  /** Runs before every restart after an unexpected exit (PostgreSQL: a stale postmaster.pid). */
  readonly beforeRestart?: () => void;
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** A line on stdout (or `readyLineOn`) that means the process is ready; otherwise `ready` polls. */
  readonly readyLine?: RegExp;
  readonly readyLineOn?: 'stdout' | 'stderr';
  readonly ready?: () => Promise<boolean>;
  readonly logDir: string;
  /** Restart after an unexpected exit (a supervisor, as Kubernetes would be in production). */
  readonly restart?: boolean;
  /** Node flags, e.g. a heap limit, as a container's memory limit would impose. */
  readonly nodeOptions?: readonly string[];
  readonly onSpawn?: (pid: number) => void;
  /**
   * Spawned at once, it loads its code, then waits (KAIROS_START_SIGNAL=stdin) until this resolves
   * to do anything else (connect, listen): a service loads while setup still runs. Rejected: it is
   * stopped, never started. A restart after it resolved starts straight away.
   */
  readonly startSignal?: Promise<void>;
}

const runner = join(__dirname, '..', 'run-ts.js');
const children = new Set<ChildProcess>();

// If the launcher itself dies, it takes its children with it rather than leaving them orphaned.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * A log file that never takes the launcher down: a write error (ENOSPC, EIO) drops the output,
 * counts it, and the file is reopened a moment later so logging resumes once the disk has room.
 * The children's pipes are always drained, so a full disk never blocks a child either.
 */
export class ResilientLog {
  private stream?: WriteStream;
  private dropped = 0;
  private reopenTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly retryMs = 2_000,
  ) {
    this.open();
  }

  write(chunk: Buffer | string): void {
    if (this.closed) return;
    if (!this.stream) {
      this.dropped += chunk.length;
      return;
    }
    this.stream.write(chunk, (error) => {
      if (error) this.dropped += chunk.length;
    });
  }

  end(): void {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    this.stream?.end();
  }

  private open(): void {
    if (this.closed) return;
    try {
      mkdirSync(join(this.path, '..'), { recursive: true });
      const stream = createWriteStream(this.path, { flags: 'a' });
      stream.on('error', () => this.broken(stream));
      this.stream = stream;
      const dropped = this.dropped;
      if (dropped > 0) {
        stream.write(`[kairos launcher] ${dropped} bytes of output dropped while this log could not be written\n`, (error) => {
          if (!error) this.dropped -= dropped;
        });
      }
    } catch {
      this.broken(undefined);
    }
  }

  private broken(stream: WriteStream | undefined): void {
    if (stream && this.stream !== stream) return;
    this.stream = undefined;
    stream?.destroy();
    if (this.closed || this.reopenTimer) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      this.open();
    }, this.retryMs);
    this.reopenTimer.unref();
  }
}

/** The launcher's own output: a closed terminal or a full disk behind a redirect never kills it. */
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

/** Starts a TypeScript entry point as its own process, logs to a file, waits until it is ready. */
export async function startProcess(spec: ProcessSpec, onEvent: (msg: string) => void): Promise<ManagedProcess> {
  mkdirSync(spec.logDir, { recursive: true });
  const log = new ResilientLog(join(spec.logDir, `${spec.name}.log`));
  let current: ChildProcess | undefined;
  let stopping = false;
  // Restarts back off while a process keeps failing (a full disk, say) and reset once it is ready.
  let failures = 0;

  const launch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const [command, args]: [string, string[]] = spec.executable
        ? [spec.executable, [...(spec.args ?? [])]]
        : [process.execPath, [...(spec.nodeOptions ?? []), runner, spec.entry, ...(spec.args ?? [])]];
      const child = spawn(command, args, {
        env: { ...process.env, ...spec.env, ...(spec.startSignal ? { KAIROS_START_SIGNAL: 'stdin' } : {}) },
        stdio: [spec.startSignal ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        // Its own process group: a Ctrl-C reaches only the launcher, which stops everything in order.
        detached: true,
        ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
        ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
      });
      // A spawn failure (a missing binary) arrives as 'error' and then 'exit'; never as a crash here.
      child.on('error', (error) => log.write(`[kairos launcher] ${spec.name}: ${error.message}\n`));
      children.add(child);
      if (child.pid) {
        try {
          spec.onSpawn?.(child.pid);
        } catch {
          // Recording the pid is for operators; a full disk must not stop the process.
        }
      }
      child.once('exit', () => children.delete(child));
      current = child;
      if (spec.startSignal) {
        // A child gone before the signal: the write fails (EPIPE), which changes nothing here.
        child.stdin?.on('error', () => undefined);
        spec.startSignal.then(
          () => child.stdin?.end('start\n'),
          () => {
            stopping = true;
            child.kill('SIGTERM');
          },
        );
      }
      let ready = false;
      let buffered = '';
      const becameReady = () => {
        ready = true;
        failures = 0;
        resolve();
      };
      const output = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
        log.write(chunk);
        if (!ready && spec.readyLine && stream === (spec.readyLineOn ?? 'stdout')) {
          buffered = (buffered + chunk.toString()).slice(-8_192);
          if (spec.readyLine.test(buffered)) {
            buffered = '';
            becameReady();
          }
        }
      };
      child.stdout!.on('data', output('stdout'));
      child.stderr!.on('data', output('stderr'));
      child.once('exit', (code, signal) => {
        if (!ready) reject(new Error(`${spec.name} exited before it was ready (code ${code}, signal ${signal}); see ${join(spec.logDir, `${spec.name}.log`)}`));
        if (stopping || !spec.restart) return;
        failures++;
        const delay = Math.min(500 * 2 ** Math.max(0, failures - 1), 5_000);
        onEvent(`${spec.name} exited (code ${code}, signal ${signal}); restarting`);
        setTimeout(() => {
          if (stopping) return;
          try {
            spec.beforeRestart?.();
          } catch (error) {
            onEvent(`${spec.name}: before restart: ${(error as Error).message}`);
          }
          launch().catch((error: Error) => onEvent(error.message));
        }, delay);
      });
      if (!spec.readyLine && spec.ready) {
        const poll = async (): Promise<void> => {
          while (!ready && child.exitCode === null) {
            if (await spec.ready!().catch(() => false)) {
              becameReady();
              return;
            }
            await new Promise((r) => setTimeout(r, 200));
          }
        };
        void poll();
      }
    });

  await launch();
  return {
    name: spec.name,
    child: () => current,
    stop: async () => {
      stopping = true;
      const child = current;
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        log.end();
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill(spec.stopSignal ?? 'SIGTERM');
      });
      log.end();
    },
  };
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  } catch {
    return false;
  }
}
