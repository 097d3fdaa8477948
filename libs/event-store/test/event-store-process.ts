import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

export interface EventStoreProcess {
  readonly connectionString: string;
  stop(): Promise<void>;
}

/** The local EventStoreDB server as a separate process, started exactly as `npm run eventstore` does. */
export function startEventStoreProcess(): Promise<EventStoreProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['tools/run-ts.js', 'infra/eventstore-server/src/main.ts', '--memory', '--port', '0'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /eventstore ready (\S+)/.exec(output);
      if (ready) {
        resolve({
          connectionString: ready[1],
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`eventstore exited with ${code}: ${output}`)));
  });
}
