import { appNames, buildApp, ensureBuilt } from './build';

// `npm run build` builds every app; `nx build <app>` (or `main.ts <app>...`) builds the ones named.
// `--if-stale` rebuilds only what is older than its sources (what `npm start` does before it starts).
const args = process.argv.slice(2);
const ifStale = args.includes('--if-stale');
const named = args.filter((a) => !a.startsWith('--'));
const known = appNames();
const unknown = named.filter((a) => !known.includes(a));
if (unknown.length > 0) {
  process.stderr.write(`unknown app(s): ${unknown.join(', ')}; apps are ${known.join(', ')}\n`);
  process.exit(2);
}
const apps = named.length > 0 ? named : known;
try {
  if (ifStale) ensureBuilt(apps, (msg) => process.stdout.write(`${msg}\n`));
  else
    for (const app of apps) {
      const { files, ms } = buildApp(app);
      process.stdout.write(`built ${app}: ${files} files in ${ms} ms -> dist/apps/${app}/main.js\n`);
    }
} catch (error) {
  process.stderr.write(`build failed: ${(error as Error).message}\n`);
  process.exit(1);
}
