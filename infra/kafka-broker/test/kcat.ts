import { execFile, execFileSync } from 'node:child_process';

export function requireKcat(): void {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('kcat is not installed: these cross-client tests need it (apt-get install -y kcat)');
  }
}

export interface KcatRun {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs kcat and reports how it ended, without throwing, so a test can assert a refusal. */
export function runKcat(args: string[], input?: string, timeoutMs = 30_000): Promise<KcatRun> {
  return new Promise((resolve) => {
    const child = execFile('kcat', args, { timeout: timeoutMs }, (err, stdout, stderr) => resolve({ ok: !err, stdout, stderr }));
    child.stdin?.end(input ?? '');
  });
}
