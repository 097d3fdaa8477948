import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtEntry, ensureBuilt } from '../build/build';

const root = join(__dirname, '..', '..');
const SETUP_ENTRY = 'tools/setup/main.ts';

/**
 * `kairos setup` as a one-shot before the services, as a Kubernetes Job or a compose one-shot
 * runs it: every topic with Kairos's settings, then each service's migrations under the advisory
 * lock. The services create no topics, so they start only once this exited 0. Output goes to
 * `<logs>/setup.log`; a failure stops the launcher with setup's own message.
 */
export async function runSetupStep(options: { kafka: string; databaseUrl: string; logDir: string; env?: NodeJS.ProcessEnv }, onEvent: (msg: string) => void): Promise<void> {
  mkdirSync(options.logDir, { recursive: true });
  // The built setup (dist/apps/setup), rebuilt when older than its sources; KAIROS_FROM_SOURCE=true runs the TypeScript.
  const fromSource = (options.env?.KAIROS_FROM_SOURCE ?? process.env.KAIROS_FROM_SOURCE) === 'true';
  if (!fromSource) ensureBuilt(['setup'], onEvent);
  const runnable = fromSource ? join(root, SETUP_ENTRY) : builtEntry('setup');
  const log = createWriteStream(join(options.logDir, 'setup.log'), { flags: 'a' });
  let output = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'tools', 'run-ts.js'), runnable], {
      cwd: root,
      env: { ...process.env, ...options.env, KAFKA_BROKERS: options.kafka, KAFKA_REPLICATION_FACTOR: '1', DATABASE_URL: options.databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      log.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  log.end();
  if (code !== 0) {
    const last = output.trim().split('\n').slice(-3).join('\n');
    throw new Error(`kairos setup failed (exit ${code}):\n${last}`);
  }
  const done = /"msg":"(setup done[^"]*)"/.exec(output)?.[1];
  onEvent(`kairos setup: ${done ?? 'done'}`);
}
