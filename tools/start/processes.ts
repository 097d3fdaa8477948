import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ManagedProcess {
  readonly name: string;
  readonly child: () => ChildProcess | undefined;
  stop(): Promise<void>;
}

export interface ProcessSpec {
  readonly name: string;
  readonly entry: string;
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** A line on stdout that means the process is ready; otherwise `ready` polls. */
  readonly readyLine?: RegExp;
  readonly ready?: () => Promise<boolean>;
  readonly logDir: string;
  /** Restart after an unexpected exit (a supervisor, as Kubernetes would be in production). */
  readonly restart?: boolean;
  /** Node flags, e.g. a heap limit, as a container's memory limit would impose. */
  readonly nodeOptions?: readonly string[];
  readonly onSpawn?: (pid: number) => void;
}

const runner = join(__dirname, '..', 'run-ts.js');
const children = new Set<ChildProcess>();

// If the launcher itself dies, it takes its children with it rather than leaving them orphaned.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts a TypeScript entry point as its own process, logs to a file, waits until it is ready. */
export async function startProcess(spec: ProcessSpec, onEvent: (msg: string) => void): Promise<ManagedProcess> {
  mkdirSync(spec.logDir, { recursive: true });
  const log = createWriteStream(join(spec.logDir, `${spec.name}.log`), { flags: 'a' });
  let current: ChildProcess | undefined;
  let stopping = false;

  const launch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...(spec.nodeOptions ?? []), runner, spec.entry, ...(spec.args ?? [])], {
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: a Ctrl-C reaches only the launcher, which stops everything in order.
        detached: true,
      });
      children.add(child);
      if (child.pid) spec.onSpawn?.(child.pid);
      child.once('exit', () => children.delete(child));
      current = child;
      let ready = false;
      let buffered = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        if (!ready && spec.readyLine) {
          buffered += chunk.toString();
          if (spec.readyLine.test(buffered)) {
            ready = true;
            buffered = '';
            resolve();
          }
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => log.write(chunk));
      child.once('exit', (code, signal) => {
        if (!ready) reject(new Error(`${spec.name} exited before it was ready (code ${code}, signal ${signal}); see ${join(spec.logDir, `${spec.name}.log`)}`));
        if (stopping || !spec.restart) return;
        onEvent(`${spec.name} exited (code ${code}, signal ${signal}); restarting`);
        setTimeout(() => {
          if (!stopping) launch().catch((error: Error) => onEvent(error.message));
        }, 500);
      });
      if (!spec.readyLine && spec.ready) {
        const poll = async (): Promise<void> => {
          while (!ready && child.exitCode === null) {
            if (await spec.ready!().catch(() => false)) {
              ready = true;
              resolve();
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
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
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
