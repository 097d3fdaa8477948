import type { Clock } from '@kairos/clock';

export interface CredentialsView {
  readonly grantId: string;
  readonly requestId: string;
  readonly login: string;
  /** Present in the first answer only. */
  readonly password: string | null;
  readonly fingerprint: string;
  readonly validUntil: string;
  readonly connection: Record<string, string | number>;
  readonly issuedAt: string;
  /** When the password was handed out; null in the answer that hands it out. */
  readonly deliveredAt: string | null;
  /** The password can no longer be handed out: already delivered, or sealed with a key this process lost. */
  readonly passwordGone: 'delivered' | 'lost' | null;
}

export type FetchOutcome = { readonly kind: 'found'; readonly credentials: CredentialsView } | { readonly kind: 'not_found' };

export interface CredentialsStore {
  /**
   * The credentials of a grant for the identity they were issued to only (anyone else: not found);
   * the first answer carries the password and erases it from the store in the same transaction.
   */
  fetchOnce(grantId: string, readerId: string, now: Date): Promise<FetchOutcome>;
}

/**
 * The identity a grant issued short-lived credentials to fetches them: the password once, then
 * only its fingerprint. Someone else's grant answers the same as no grant (nothing to learn by
 * guessing ids).
 */
export class RevealCredentials {
  constructor(
    private readonly credentials: CredentialsStore,
    private readonly clock: Clock,
  ) {}

  reveal(grantId: string, readerId: string): Promise<FetchOutcome> {
    return this.credentials.fetchOnce(grantId, readerId, this.clock.now());
  }
}
