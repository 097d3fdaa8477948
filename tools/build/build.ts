import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { transformFileSync, type Options } from '@swc/core';

/**
 * The production build of a Kairos app: the same SWC compilation (decorator metadata for NestJS,
 * CommonJS, ES2022) that `tools/run-ts.js` and jest do on load, done once ahead of time. It starts at
 * `apps/<app>/src/main.ts`, follows every relative and `@kairos/*` import (rewritten to relative
 * paths), and writes exactly the reachable files to `dist/apps/<app>/`, mirroring the repository:
 *
 *   dist/apps/<app>/main.js                  the entry (`node dist/apps/<app>/main.js`)
 *   dist/apps/<app>/apps/<app>/src/**.js     the app
 *   dist/apps/<app>/libs/**.js               the libraries it imports
 *   dist/apps/<app>/build.json               what was compiled, for the staleness check
 *
 * Packages (`node_modules`) are not bundled: the image installs the production dependencies.
 */
export const root = resolve(__dirname, '..', '..');

const tsconfigBase = join(root, 'tsconfig.base.json');
const paths = (JSON.parse(readFileSync(tsconfigBase, 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;

export const swcOptions = (): Options => ({
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    baseUrl: root,
    paths,
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: true,
  swcrc: false,
  configFile: false,
});

/** Every deployable service: a folder under apps/ with a project.json and src/main.ts. */
export function serviceNames(): string[] {
  return readdirSync(join(root, 'apps'))
    .filter((name) => existsSync(join(root, 'apps', name, 'project.json')) && existsSync(join(root, 'apps', name, 'src', 'main.ts')))
    .sort();
}

/** What the image holds: every service, and the one-shot `setup` (tools/setup: topics and migrations). */
export function appNames(): string[] {
  return [...serviceNames(), 'setup'];
}

const sourceEntry = (app: string) => (app === 'setup' ? join(root, 'tools', 'setup', 'main.ts') : join(root, 'apps', app, 'src', 'main.ts'));

export const distDir = (app: string) => join(root, 'dist', 'apps', app);
export const builtEntry = (app: string) => join(distDir(app), 'main.js');

interface BuildRecord {
  readonly app: string;
  readonly builtAt: number;
  readonly sources: readonly string[];
}

const RELATIVE_REQUIRE = /require\("(\.{1,2}\/[^"]*)"\)/g;
const BUILD_INPUTS = [tsconfigBase, join(root, 'package-lock.json'), __filename];

function resolveSource(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  for (const candidate of [base, `${base}.json`]) {
    if (candidate.endsWith('.json') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Compiles one app; returns the files it wrote. Throws when an import cannot be resolved. */
export function buildApp(app: string): { files: number; ms: number } {
  const started = Date.now();
  const entry = sourceEntry(app);
  if (!existsSync(entry)) throw new Error(`no such app: ${app} (expected ${relative(root, entry)})`);
  const out = distDir(app);
  const staging = `${out}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const options = swcOptions();
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const source = queue.pop()!;
    if (seen.has(source)) continue;
    seen.add(source);
    const rel = relative(root, source);
    if (rel.startsWith('..')) throw new Error(`${app} imports a file outside the repository: ${source}`);
    const target = join(staging, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    if (source.endsWith('.json')) {
      writeFileSync(target, readFileSync(source));
      continue;
    }
    const result = transformFileSync(source, { ...options, filename: source, sourceFileName: relative(dirname(target), source) });
    writeFileSync(target, `${result.code}\n//# sourceMappingURL=${basename(target)}.map\n`);
    if (result.map) writeFileSync(`${target}.map`, result.map);
    for (const match of result.code.matchAll(RELATIVE_REQUIRE)) {
      const resolved = resolveSource(source, match[1]!);
      if (!resolved) throw new Error(`${rel}: cannot resolve "${match[1]}"`);
      queue.push(resolved);
    }
  }
  // Files an app reads beside its code at run time (the notifier's default templates), copied as they are.
  const assets = join(root, 'apps', app, 'templates');
  if (existsSync(assets)) cpSync(assets, join(staging, 'apps', app, 'templates'), { recursive: true });
  const entryJs = relative(root, entry).replace(/\.ts$/, '.js');
  writeFileSync(join(staging, 'main.js'), `'use strict';\n// ${app}: built by tools/build from ${relative(root, entry)}\nrequire('./${entryJs}');\n`);
  const record: BuildRecord = { app, builtAt: started, sources: [...seen].map((file) => relative(root, file)).sort() };
  writeFileSync(join(staging, 'build.json'), JSON.stringify(record, null, 2) + '\n');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(dirname(out), { recursive: true });
  // A rename, so a service started meanwhile never sees half a build.
  try {
    renameSync(staging, out);
  } catch (error) {
    // Another build of the same app (a second `npm start`, a parallel test) won the race.
    rmSync(staging, { recursive: true, force: true });
    if (staleReason(app) !== undefined) throw error;
  }
  return { files: seen.size, ms: Date.now() - started };
}

/** Why the app must be (re)built, or undefined when `dist/apps/<app>` is newer than every source it was built from. */
export function staleReason(app: string): string | undefined {
  const recordFile = join(distDir(app), 'build.json');
  if (!existsSync(recordFile) || !existsSync(builtEntry(app))) return 'not built';
  let record: BuildRecord;
  try {
    record = JSON.parse(readFileSync(recordFile, 'utf8')) as BuildRecord;
  } catch {
    return 'unreadable build record';
  }
  for (const file of [...record.sources.map((s) => join(root, s)), ...BUILD_INPUTS]) {
    if (!existsSync(file)) return `${relative(root, file)} is gone`;
    if (statSync(file).mtimeMs > record.builtAt) return `${relative(root, file)} changed`;
  }
  return undefined;
}

/** Builds each app whose build is missing or older than its sources. */
export function ensureBuilt(apps: readonly string[], onEvent: (msg: string) => void = () => undefined): void {
  for (const app of apps) {
    const reason = staleReason(app);
    if (!reason) continue;
    const { files, ms } = buildApp(app);
    onEvent(`built ${app} (${reason}): ${files} files in ${ms} ms`);
  }
}

const APP_ENTRY = /^apps\/([a-z][a-z0-9-]*)\/src\/main\.ts$/;

/**
 * What the launcher runs for each entry of its process table: an app's `apps/<app>/src/main.ts`
 * becomes its build (`dist/apps/<app>/main.js`, rebuilt first when older than its sources), so what
 * `npm start` runs is what ships. KAIROS_FROM_SOURCE=true runs the TypeScript instead.
 */
export function runnableEntries(entries: readonly { readonly entry: string }[], onEvent: (msg: string) => void = () => undefined, env: NodeJS.ProcessEnv = process.env): (entry: string) => string {
  if (env.KAIROS_FROM_SOURCE === 'true') return (entry) => entry;
  const apps = entries.map((e) => APP_ENTRY.exec(e.entry)?.[1]).filter((app): app is string => app !== undefined);
  ensureBuilt(apps, onEvent);
  return (entry) => {
    const app = APP_ENTRY.exec(entry)?.[1];
    return app ? builtEntry(app) : entry;
  };
}
