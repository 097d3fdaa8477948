/** A send failed; `permanent` when retrying can never help (a refused address, a revoked token). */
export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** The server asked to wait this long before trying again (HTTP 429 Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** One message to one address over one channel, with the key that makes a duplicate recognisable. */
export interface Outgoing {
  readonly sendKey: string;
  readonly address: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly kind: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly review?: { readonly requestId: string; readonly itemId: string };
}
