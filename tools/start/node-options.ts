import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The one file of every service's V8 memory settings (ADR 0032), read here and by the image's start.sh. */
export const SERVICE_MEMORY_FILE = join(__dirname, '..', '..', 'infra', 'service-memory.conf');

/**
 * The Node flags a service runs with, from `infra/service-memory.conf`: the `*` line's flags, then the
 * service's own (a later flag wins in V8, so the service's line refines the defaults). `service` is the
 * app's folder name (`request-service`); a replica runs with its service's flags.
 * Comments are whole lines (`#`). Throws on anything but `--flag` / `--flag=value` words, so a typo
 * fails the start here rather than a deployment.
 */
export function serviceMemoryFlags(service: string, text = readFileSync(SERVICE_MEMORY_FILE, 'utf8')): string[] {
  const flags: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [name, ...words] = line.split(/\s+/);
    for (const word of words) {
      if (!/^--[a-z0-9-]+(=[A-Za-z0-9._-]+)?$/.test(word)) throw new Error(`infra/service-memory.conf line ${index + 1}: "${word}" is not a node flag (--name or --name=value)`);
    }
    if (name === '*' || name === service) flags.push(...words);
  }
  return flags;
}

/**
 * What `npm start` runs a service with: its flags from `infra/service-memory.conf` (the same as the
 * image), then `KAIROS_SERVICE_HEAP_MB` (a heap limit in MiB, for trying another size) and
 * `KAIROS_SERVICE_NODE_OPTIONS` (any flags, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` for
 * `npm run bench`), which win over the file. `entry` is the service's `apps/<app>/src/main.ts`.
 */
export function launcherNodeOptions(entry: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const app = /(?:^|\/)apps\/([^/]+)\//.exec(entry)?.[1];
  if (!app) throw new Error(`not a service entry (apps/<app>/...): ${entry}`);
  const mb = Number(env.KAIROS_SERVICE_HEAP_MB);
  const extra = (env.KAIROS_SERVICE_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  return [...serviceMemoryFlags(app), ...(Number.isInteger(mb) && mb > 0 ? [`--max-old-space-size=${mb}`] : []), ...extra];
}
