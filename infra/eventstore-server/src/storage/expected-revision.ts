export type ExpectedRevision =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

export interface StreamCondition {
  /** Last revision, or -1 when the stream has no events. */
  readonly current: number;
  readonly softDeleted: boolean;
  readonly metastreamExists: boolean;
}

export function expectationHolds(expected: ExpectedRevision, s: StreamCondition): boolean {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'no_stream':
      return s.current === -1 || s.softDeleted;
    case 'stream_exists':
      return s.current >= 0 || s.metastreamExists;
    case 'revision':
      return expected.revision === BigInt(s.current);
    default:
      return assertNever(expected);
  }
}

/** The revision an exact expectation names (-1 for no_stream), or null for any / stream_exists. */
export function exactRevision(expected: ExpectedRevision): bigint | null {
  if (expected.kind === 'revision') return expected.revision;
  if (expected.kind === 'no_stream') return -1n;
  return null;
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
