import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

function boot(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'tools', 'run-ts.js'), join(root, 'apps', 'expiry-scheduler', 'src', 'main.ts')], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('a service started with bad tracing variables', () => {
  it('refuses to start, naming each bad OTEL_* variable beside the other problems, without echoing the endpoint', async () => {
    const { code, stderr } = await boot({
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector-user:s3cret-pass@collector:4318',
      OTEL_SDK_DISABLED: 'maybe',
    });
    expect(code).toBe(78);
    const line = JSON.parse(stderr.trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'error', service: 'expiry-scheduler', msg: 'refusing to start: invalid configuration' });
    const problems = (line.problems as string[]).join('\n');
    expect(problems).toMatch(/DATABASE_URL is missing/);
    expect(problems).toMatch(/OTEL_TRACES_EXPORTER: must be otlp, console or none/);
    expect(problems).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT: must be an http/);
    expect(problems).toMatch(/OTEL_SDK_DISABLED: must be true or false/);
    expect(stderr).not.toMatch(/s3cret-pass/);
  });
});
