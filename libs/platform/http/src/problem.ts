/**
 * RFC 9457 problem details. Every error a Kairos API returns has this shape, with a stable `code`
 * that clients can switch on.
 */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly code: string;
  readonly [extension: string]: unknown;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }
}

export function problemType(code: string): string {
  return `https://kairos.dev/problems/${code.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

/** Turns an application error into a problem, or returns undefined to let the next mapper try. */
export type ProblemMapper = (error: unknown) => ProblemError | undefined;

export const PROBLEM_MAPPERS = Symbol('PROBLEM_MAPPERS');
