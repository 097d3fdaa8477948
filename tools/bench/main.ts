import { writeFileSync } from 'node:fs';
// The servers' own benchmarks live beside them, outside their public entry points.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { benchEventStore } from '../../infra/eventstore-server/bench/bench';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { benchKafka } from '../../infra/kafka-broker/bench/bench';
import { benchPlatform, platformTarget, type Target } from './platform-bench';

/**
 * npm run bench [-- eventstore|kafka|platform ...]: prints a table and writes bench-results.json.
 * Event store options: --esdb-large (RSS and restart time at 100k, 1M and 5M events; about an hour),
 * --esdb-events=N,N (other sizes), --esdb-sizes-only (skip the fresh-log figures).
 */
async function main(): Promise<void> {
  const wanted = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
  const all = wanted.size === 0;
  const suites: [string, () => Promise<Record<string, number>>][] = [
    ['eventstore', benchEventStore],
    ['kafka', benchKafka],
    ['platform', () => benchPlatform()],
  ];
  const results: Record<string, Record<string, number>> = {};
  for (const [name, run] of suites) {
    if (!all && !wanted.has(name)) continue;
    process.stdout.write(`running ${name} benchmark...\n`);
    results[name] = await run();
    print(name, results[name]!, name === 'platform' ? platformTarget : () => undefined);
  }
  writeFileSync('bench-results.json', JSON.stringify({ measuredAt: new Date().toISOString(), cpus: require('node:os').cpus().length, results }, null, 2));
  process.stdout.write('\nwritten to bench-results.json\n');
}

function print(name: string, figures: Record<string, number>, targetOf: (figure: string) => Target | undefined): void {
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  process.stdout.write(`\n${name}\n${'-'.repeat(width + 44)}\n`);
  for (const [key, value] of Object.entries(figures)) {
    const target = targetOf(key);
    const verdict = target ? `  ${target.target.padEnd(18)} ${target.met(value) ? 'met' : 'NOT met'}` : '';
    process.stdout.write(`${key.padEnd(width)}  ${String(value).padStart(12)}${verdict}\n`);
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench failed: ${error.stack}\n`);
    process.exit(1);
  },
);
