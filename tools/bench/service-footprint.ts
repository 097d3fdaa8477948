import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureKairosTopics } from '@kairos/messaging';
import { builtEntry, ensureBuilt } from '../build/build';
import { rssMiB, spawnNode, startEmbeddedInfra, waitForOk } from '../build/embedded-infra';
import { serviceMemoryFlags } from '../start/node-options';

/**
 * Start time and idle RSS of each service, one at a time on the embedded servers:
 *   node tools/run-ts.js tools/bench/service-footprint.ts [ts|built] [idleSeconds=10]
 * `ts` compiles the TypeScript with SWC at start (the old way); `built` runs dist/apps/<app>/main.js.
 * Each with its flags from infra/service-memory.conf, as `npm start` and the image run it (ADR 0032).
 * Start time is from spawn until /health/live answers; RSS is read from /proc after idling.
 */
async function main(): Promise<void> {
  const mode = process.argv[2] === 'ts' ? 'ts' : 'built';
  const idleSeconds = Number(process.argv[3] ?? 10);
  const root = join(__dirname, '..', '..');
  const dir = mkdtempSync(join(tmpdir(), 'kairos-footprint-'));
  const infra = await startEmbeddedInfra(dir);
  // What `kairos setup` does first: the services create no topics.
  await ensureKairosTopics([infra.urls.kafka]);
  try {
    if (mode === 'built') ensureBuilt(infra.services.map((s) => s.name));
    const rows: string[] = [];
    for (const service of infra.services) {
      const args = mode === 'ts' ? [join(root, 'tools', 'run-ts.js'), join(root, 'apps', service.name, 'src', 'main.ts')] : [builtEntry(service.name)];
      const running = spawnNode([...serviceMemoryFlags(service.name), ...args], service.env, root);
      try {
        const ms = await waitForOk(`http://127.0.0.1:${service.port}/health/live`, running);
        await new Promise((r) => setTimeout(r, idleSeconds * 1000));
        rows.push(`| ${service.name} | ${mode} | ${(ms / 1000).toFixed(1)} s | ${rssMiB(running.child.pid!)} MiB |`);
        process.stdout.write(`${rows.at(-1)}\n`);
      } finally {
        await running.stop();
      }
    }
  } finally {
    await infra.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
