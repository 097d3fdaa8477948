/**
 * How a use case says no, in words of the use case rather than of a transport: the caller is not
 * allowed, the thing is not there, the input cannot be acted on, a dependency is away. The HTTP
 * adapter turns a refusal into problem+json (`@kairos/http` maps each kind to one status, in one
 * place); a use case never speaks HTTP.
 */
export const REFUSAL_KINDS = [
  'invalid',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'unprocessable',
  'unavailable',
  'upstream_failed',
] as const;
export type RefusalKind = (typeof REFUSAL_KINDS)[number];

export class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    /** A stable, machine-readable code, e.g. `ACCESS_REQUEST.NOT_FOUND`. */
    readonly code: string,
    /** For people: what was refused and why. Never a secret. */
    readonly detail: string,
    /** Facts a client may act on (`retryAfter` seconds for `unavailable`, the problems found…). */
    readonly facts: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
    this.name = 'Refusal';
  }
}

export const refuse = {
  invalid: (code: string, detail: string, facts?: Record<string, unknown>) => new Refusal('invalid', code, detail, facts),
  forbidden: (code: string, detail: string) => new Refusal('forbidden', code, detail),
  notFound: (code: string, detail: string) => new Refusal('not_found', code, detail),
  conflict: (code: string, detail: string, facts?: Record<string, unknown>) => new Refusal('conflict', code, detail, facts),
  unprocessable: (code: string, detail: string, facts?: Record<string, unknown>) => new Refusal('unprocessable', code, detail, facts),
  /** A dependency is down or restarting: the same call may succeed after `retryAfter` seconds. */
  unavailable: (code: string, detail: string, retryAfter = 2) => new Refusal('unavailable', code, detail, { retryAfter }),
  upstreamFailed: (code: string, detail: string) => new Refusal('upstream_failed', code, detail),
};
