import { CliError } from './exit-codes';

/**
 * What a command prints: a result for people (text) or exactly one JSON document (`--output json`)
 * on stdout; errors on stderr, as a line for people or a JSON object, never with a token in it.
 */
export class Output {
  json = false;

  constructor(
    private readonly stdout: (text: string) => void = (text) => process.stdout.write(text),
    private readonly stderr: (text: string) => void = (text) => process.stderr.write(text),
  ) {}

  /** The command's result: `human` for people, `data` for `--output json`. */
  result(data: unknown, human: string | (() => string)): void {
    if (this.json) this.stdout(`${JSON.stringify(data, null, 2)}\n`);
    else this.stdout(`${typeof human === 'function' ? human() : human}\n`);
  }

  text(line: string): void {
    if (!this.json) this.stdout(line.endsWith('\n') ? line : `${line}\n`);
  }

  /** Progress for people (on stderr, so it never mixes into a result a script reads). */
  progress(line: string): void {
    if (!this.json) this.stderr(`${line}\n`);
  }

  /** What a person must act on (a sign-in URL and code): on stderr, with --output json too. */
  notice(line: string): void {
    this.stderr(line.endsWith('\n') ? line : `${line}\n`);
  }

  fail(error: CliError, help?: string): number {
    if (this.json) this.stderr(`${JSON.stringify({ error: error.message, exitCode: error.exitCode, ...(error.details ?? {}) })}\n`);
    else this.stderr(`kairos: ${error.message}\n${help && !this.json ? `\n${help}` : ''}`);
    return error.exitCode;
  }
}

/** A plain table: one row per entry, columns padded. */
export function table(rows: readonly (readonly (string | number | boolean | null | undefined)[])[], header: readonly string[]): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  return cells.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
