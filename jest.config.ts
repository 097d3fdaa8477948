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
const config: Config = {
  rootDir: '.',
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/infra', '<rootDir>/tools'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.(t|j)s$': swc as never },
  moduleNameMapper,
  globalSetup: '<rootDir>/libs/platform/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/platform/testing/src/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
