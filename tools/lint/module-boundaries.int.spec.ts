import { createProjectGraphAsync } from '@nx/devkit';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

// ESLint runs as its own process, exactly as `npm run lint` runs it.
async function lintAs(relativePath: string, source: string): Promise<string[]> {
  const eslint = join(root, 'node_modules', '.bin', 'eslint');
  const run = spawnSync(eslint, ['--format', 'json', '--stdin', '--stdin-filename', join(root, relativePath)], {
    cwd: root,
    input: source,
    env: { ...process.env, NX_DAEMON: 'false' },
    encoding: 'utf8',
  });
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; message: string }[] }[];
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('module boundaries', () => {
  beforeAll(async () => {
    process.env.NX_DAEMON = 'false';
    await createProjectGraphAsync({ exitOnError: false });
  }, 120_000);

  it.each(['@nestjs/core', 'typeorm', 'kafkajs', '@eventstore/db-client', 'class-validator'])('fails lint when a domain library imports %s', async (pkg) => {
    const messages = await lintAs('libs/approval-policy/domain/src/boundary-probe.ts', `import * as x from '${pkg}';\nexport const y = x;\n`);
    expect(messages.join('\n')).toMatch(/@nx\/enforce-module-boundaries/);
  });

  it('fails lint when a domain library imports a platform library', async () => {
    const messages = await lintAs('libs/approval-policy/domain/src/boundary-probe.ts', `import { loadConfig } from '@kairos/config';\nexport const y = loadConfig;\n`);
    expect(messages.join('\n')).toMatch(/@nx\/enforce-module-boundaries/);
  });

  it.each(['@nestjs/common', 'typeorm', 'kafkajs', '@eventstore/db-client', 'pg', 'class-validator', '@kairos/messaging'])(
    "fails lint when an app's own domain file (apps/*/src/domain) imports %s",
    async (pkg) => {
      const messages = await lintAs('apps/audit-projector/src/domain/boundary-probe.ts', `import * as x from '${pkg}';\nexport const y = x;\n`);
      expect(messages.join('\n')).toMatch(/no-restricted-imports/);
    },
  );

  it.each(['@nestjs/common', 'typeorm', 'pg', 'kafkajs', '@eventstore/db-client', '@kairos/messaging', '@kairos/event-store', '@kairos/persistence', '../../adapters/postgres/requests.repository'])(
    "fails lint when an app's use case (apps/*/src/use-cases) imports %s",
    async (pkg) => {
      const messages = await lintAs('apps/request-service/src/use-cases/submit-request/boundary-probe.ts', `import * as x from '${pkg}';\nexport const y = x;\n`);
      expect(messages.join('\n')).toMatch(/no-restricted-imports/);
    },
  );

  it("lets an app's use case import its domain, the domain libraries, the contracts and refusals", async () => {
    const messages = await lintAs(
      'apps/request-service/src/use-cases/submit-request/boundary-probe.ts',
      `import { refuse } from '@kairos/refusal';\nimport { CONNECTOR_NAMES } from '@kairos/contracts';\nimport { decide } from '@kairos/access-request-domain';\nimport * as d from '../../domain/probe';\nexport const y = [refuse, CONNECTOR_NAMES, decide, d];\n`,
    );
    expect(messages.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it("lets an app's domain import the contracts and Node's crypto", async () => {
    const messages = await lintAs(
      'apps/provisioning-connector/src/domain/boundary-probe.ts',
      `import { createHash } from 'node:crypto';\nimport { CONNECTOR_NAMES } from '@kairos/contracts';\nexport const y = [createHash, CONNECTOR_NAMES];\n`,
    );
    expect(messages.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it("fails lint when an app's adapter other than HTTP speaks HTTP (ProblemError or Nest's HttpException) instead of throwing a Refusal", async () => {
    for (const source of [
      `import { ProblemError } from '@kairos/http';\nexport const y = ProblemError;\n`,
      `import { NotFoundException } from '@nestjs/common';\nexport const y = NotFoundException;\n`,
    ]) {
      const messages = await lintAs('apps/request-service/src/adapters/postgres/boundary-probe.ts', source);
      expect(messages.join('\n')).toMatch(/no-restricted-imports.*Refusal/);
    }
    // The HTTP adapter itself may.
    expect(await lintAs('apps/request-service/src/adapters/http/probe.ts', `import { ProblemError } from '@kairos/http';\nexport const y = ProblemError;\n`)).toEqual([]);
    expect(await lintAs('apps/request-service/src/adapters/http/probe.controller.ts', `import { ProblemError } from '@kairos/http';\nexport const y = ProblemError;\n`)).toEqual([]);
    expect(await lintAs('apps/request-service/src/adapters/postgres/boundary-probe.ts', `import { refuse } from '@kairos/refusal';\nexport const y = refuse;\n`)).toEqual([]);
  });

  it('lets an application import the same framework', async () => {
    const messages = await lintAs('apps/request-service/src/boundary-probe.ts', `import { NestFactory } from '@nestjs/core';\nexport const y = NestFactory;\n`);
    expect(messages.filter((m) => m.startsWith('@nx/enforce-module-boundaries'))).toEqual([]);
  });
});
