import type { Config } from 'jest';
import { compilerOptions } from './tsconfig.base.json';

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// One jest run covers every project: unit (*.unit.spec.ts), integration (*.int.spec.ts) and
// end-to-end (*.e2e.spec.ts). Real PostgreSQL is started once per run (globalSetup) and every
// test file gets a database of its own.
// Suites that take minutes (a whole platform per test, a browser, a 2 GiB log, the image build, a
// fault run). `npm test` leaves them out so it stays under 15 minutes on 2 cores; `npm run
// test:slow` runs exactly them; CI runs both (.ci/run).
export const SLOW_SUITES = [
  'tools/e2e/console',
  'tools/e2e/launcher',
  'tools/e2e/faults',
  'tools/e2e/notifications',
  'tools/e2e/replicas',
  'tools/image',
  'tools/bench/platform-bench',
  'infra/eventstore-server/test/large-log',
];
const slowOnly = process.env.KAIROS_TESTS === 'slow';
const all = process.env.KAIROS_TESTS === 'all';

const config: Config = {
  rootDir: '.',
  testMatch: ['**/*.spec.ts'],
  ...(all ? {} : slowOnly ? { testMatch: SLOW_SUITES.map((suite) => `<rootDir>/${suite}*.spec.ts`) } : { testPathIgnorePatterns: ['/node_modules/', ...SLOW_SUITES.map((suite) => `<rootDir>/${suite}`)] }),
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/infra', '<rootDir>/tools'],
  transform: { '^.+\\.(t|j)s$': swc as never },
  moduleNameMapper,
  globalSetup: '<rootDir>/libs/platform/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/platform/testing/src/global-teardown.ts',
  // Generous: CI and this machine are 2 shared cores, and a passing test returns as soon as its
  // condition holds; only a failing one waits this long.
  testTimeout: 120_000,
  maxWorkers: 2,
};

export default config;
