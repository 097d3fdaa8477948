import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Domain and contract libraries stay pure: frameworks, drivers and clients live at the edges.
const frameworkImports = [
  '@nestjs/*',
  'typeorm',
  'pg',
  'kafkajs',
  '@eventstore/*',
  'class-validator',
  'class-transformer',
  'express',
  '@grpc/*',
];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/tmp/**', '.kairos/**', '.nx/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'], bannedExternalImports: frameworkImports },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: frameworkImports },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing', 'type:platform', 'type:contracts', 'type:infra'] },
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:domain', 'type:adapter', 'type:testing'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:domain', 'type:adapter', 'type:testing', 'type:client'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:infra', 'type:platform', 'type:testing'] },
            { sourceTag: 'type:tools', onlyDependOnLibsWithTags: ['*'] },
            { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:client'], bannedExternalImports: frameworkImports },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', '**/testing/**/*.ts', '**/bench/**/*.ts', 'tools/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  { files: ['**/*.js', '**/*.cjs', '**/*.mjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // Only an app's HTTP adapter speaks HTTP: use cases, consumers and repositories say no with a
  // Refusal (@kairos/refusal), which the HTTP adapter maps to problem+json in one place.
  {
    files: ['apps/*/src/**/*.ts'],
    ignores: ['apps/*/src/**/*.controller.ts', 'apps/*/src/http/**', 'apps/*/src/adapters/http/**', 'apps/*/src/**/*.module.ts', 'apps/*/src/main.ts', 'apps/*/src/**/*.spec.ts', 'apps/*/src/testing/**', 'apps/console/**', 'apps/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@kairos/http', importNames: ['ProblemError'], message: 'only the HTTP adapter (controllers, src/http) speaks HTTP: throw a Refusal from @kairos/refusal.' },
            {
              name: '@nestjs/common',
              importNames: ['HttpException', 'BadRequestException', 'NotFoundException', 'ForbiddenException', 'ConflictException', 'UnauthorizedException'],
              message: 'only the HTTP adapter (controllers, src/http) speaks HTTP: throw a Refusal from @kairos/refusal.',
            },
          ],
        },
      ],
    },
  },
  // An app's own domain (apps/*/src/domain) and its use cases (apps/*/src/use-cases) are as pure as a
  // domain library: no framework, driver or adapter. Use cases reach the world through the ports they
  // declare; the app's adapters (apps/*/src/adapters) implement them and the module wires them (ADR 0031).
  {
    files: ['apps/*/src/domain/**/*.ts', 'apps/*/src/domain/**/*.tsx', 'apps/*/src/use-cases/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...frameworkImports, 'typeorm/*', 'pg/*', '@kairos/messaging', '@kairos/event-store', '@kairos/persistence', '@kairos/http', '@kairos/observability', '**/adapters/**', '**/adapters'],
              message: 'domain and use-case code stay pure: frameworks, drivers and adapters belong to the app\'s adapters (src/adapters), wired in its module.',
            },
          ],
        },
      ],
    },
  },
];
