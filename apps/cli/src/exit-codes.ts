/** Exit codes scripts and CI jobs can switch on. */
export const EXIT = {
  ok: 0,
  /** An unexpected failure (a bug, a broken answer). */
  failed: 1,
  /** Wrong arguments or options. */
  usage: 2,
  /** The platform refused (4xx: invalid, forbidden, conflict, policy). */
  refused: 3,
  /** Not signed in, or the token was refused (401). */
  unauthenticated: 4,
  /** No such request, item, ticket (404). */
  notFound: 5,
  /** The platform is unreachable or unavailable (5xx, network); retrying may help. */
  unavailable: 6,
  /** `--wait` ended without the access becoming active (denied, failed, expired, cancelled). */
  notGranted: 7,
  /** `--wait` ran out of time. */
  timedOut: 8,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usage = (message: string): CliError => new CliError(message, EXIT.usage);
