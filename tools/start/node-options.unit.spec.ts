import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launcherNodeOptions, SERVICE_MEMORY_FILE, serviceMemoryFlags } from './node-options';
import { serviceNames } from '../build/build';

const START_SH = join(__dirname, '..', '..', 'infra', 'docker', 'start.sh');

describe('the services\' memory settings (infra/service-memory.conf, ADR 0032)', () => {
  it('gives a service the * line\'s flags, then its own; comments and other services\' lines are left out', () => {
    const text = ['# a comment', '* --max-semi-space-size=2 --max-old-space-size=128', '', 'request-service   --max-old-space-size=160', 'notifier --max-old-space-size=96'].join('\n');
    expect(serviceMemoryFlags('request-service', text)).toEqual(['--max-semi-space-size=2', '--max-old-space-size=128', '--max-old-space-size=160']);
    expect(serviceMemoryFlags('expiry-scheduler', text)).toEqual(['--max-semi-space-size=2', '--max-old-space-size=128']);
  });

  it('refuses a word that is not a node flag (a typo, an inline comment, something a shell would expand)', () => {
    expect(() => serviceMemoryFlags('notifier', '* --max-old-space-size=128 # heap')).toThrow(/line 1: "#" is not a node flag/);
    expect(() => serviceMemoryFlags('notifier', 'notifier max-old-space-size=128')).toThrow(/not a node flag/);
    expect(() => serviceMemoryFlags('notifier', '* --max-old-space-size=$(reboot)')).toThrow(/not a node flag/);
  });

  it('the real file is valid and sets a heap limit and a young generation size for every service', () => {
    for (const service of serviceNames()) {
      const flags = serviceMemoryFlags(service);
      expect(flags.some((f) => f.startsWith('--max-old-space-size='))).toBe(true);
      expect(flags.some((f) => f.startsWith('--max-semi-space-size='))).toBe(true);
    }
  });

  it('npm start runs each service with the file\'s flags, then KAIROS_SERVICE_HEAP_MB and KAIROS_SERVICE_NODE_OPTIONS, which win', () => {
    const flags = serviceMemoryFlags('request-service');
    expect(launcherNodeOptions('apps/request-service/src/main.ts', {})).toEqual(flags);
    expect(launcherNodeOptions('apps/request-service/src/main.ts', { KAIROS_SERVICE_HEAP_MB: '300', KAIROS_SERVICE_NODE_OPTIONS: ' --cpu-prof  --cpu-prof-dir=/tmp/p ' })).toEqual([
      ...flags,
      '--max-old-space-size=300',
      '--cpu-prof',
      '--cpu-prof-dir=/tmp/p',
    ]);
    // A heap size that is not a positive whole number is ignored, as before.
    expect(launcherNodeOptions('apps/notifier/src/main.ts', { KAIROS_SERVICE_HEAP_MB: 'lots' })).toEqual(serviceMemoryFlags('notifier'));
    expect(() => launcherNodeOptions('tools/start/mail-catcher-main.ts', {})).toThrow(/not a service entry/);
  });

  describe('the image\'s command (infra/docker/start.sh) reads the same file', () => {
    let app: string;
    beforeAll(() => {
      app = mkdtempSync(join(tmpdir(), 'kairos-start-sh-'));
      copyFileSync(START_SH, join(app, 'start.sh'));
      copyFileSync(SERVICE_MEMORY_FILE, join(app, 'service-memory.conf'));
      for (const service of ['request-service', 'notifier']) {
        mkdirSync(join(app, 'dist', 'apps', service), { recursive: true });
        // Stands in for the built service: reports the flags it got and the heap V8 sized from them.
        writeFileSync(
          join(app, 'dist', 'apps', service, 'main.js'),
          "const v8 = require('node:v8'); const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s]));\n" +
            'console.log(JSON.stringify({ nodeOptions: process.env.NODE_OPTIONS, limitMb: v8.getHeapStatistics().heap_size_limit / 1048576 }));\n',
        );
      }
    });
    afterAll(() => rmSync(app, { recursive: true, force: true }));

    const run = (env: Record<string, string>) =>
      JSON.parse(execFileSync('sh', ['start.sh'], { cwd: app, env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8' })) as { nodeOptions: string; limitMb: number };

    it('passes each service exactly the flags the launcher gives it, and V8 takes them', () => {
      for (const service of ['request-service', 'notifier']) {
        const flags = serviceMemoryFlags(service);
        const got = run({ SERVICE: service });
        expect(got.nodeOptions.trim()).toBe(flags.join(' '));
        const oldMb = Number(flags.filter((f) => f.startsWith('--max-old-space-size=')).at(-1)!.split('=')[1]);
        const semiMb = Number(flags.filter((f) => f.startsWith('--max-semi-space-size=')).at(-1)!.split('=')[1]);
        // V8's limit is the old generation plus the young one (three semi-spaces' worth).
        expect(got.limitMb).toBe(oldMb + 3 * semiMb);
      }
    });

    it('lets the deployment\'s own NODE_OPTIONS win (a bigger container sets a bigger heap)', () => {
      const got = run({ SERVICE: 'request-service', NODE_OPTIONS: '--max-old-space-size=288' });
      expect(got.nodeOptions.trim().endsWith('--max-old-space-size=288')).toBe(true);
      const semiMb = Number(serviceMemoryFlags('request-service').filter((f) => f.startsWith('--max-semi-space-size=')).at(-1)!.split('=')[1]);
      expect(got.limitMb).toBe(288 + 3 * semiMb);
    });
  });

  it('is what the image copies beside start.sh', () => {
    const dockerfile = readFileSync(join(__dirname, '..', '..', 'infra', 'docker', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^COPY infra\/service-memory\.conf \.\/service-memory\.conf$/m);
    expect(dockerfile).toMatch(/^COPY infra\/docker\/start\.sh \.\/start\.sh$/m);
    expect(dockerfile).toMatch(/^CMD \["sh", "start\.sh"\]$/m);
  });
});
