import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { isRole, type Principal } from './principal';

export interface TokenVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  /**
   * How long a token once verified is accepted again without checking its signature (it is still
   * refused the moment it expires). 0 turns the cache off. Default 60 s (ADR 0011).
   */
  readonly reuseVerifiedForMs?: number;
  /** Tokens remembered at most (least recently used dropped first). Default 2,000. */
  readonly cacheSize?: number;
  /** For tests: the current time in milliseconds. */
  readonly now?: () => number;
}

interface Verified {
  readonly principal: Principal;
  /** The token's own `exp`, in ms, plus the clock tolerance jose applied. */
  readonly expiresAt: number;
  /** When the verification stops being reused, however long the token lives. */
  readonly recheckAt: number;
}

const CLOCK_TOLERANCE_SECONDS = 5;

export class InvalidTokenError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

// Asymmetric algorithms only: `none` and HMAC are refused outright, so a token cannot be forged
// with an empty signature or by using the public key as a shared secret.
const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  /**
   * Tokens already verified, by their exact text. The same bearer token comes back on every call a
   * client makes (a service calling another, the console polling): checking its signature again
   * costs a public-key verification each time (about 0.2 ms of CPU) and proves nothing new. A
   * different byte is a different key here, so an altered token is always verified afresh.
   */
  private readonly verified = new Map<string, Verified>();
  private readonly reuseFor: number;
  private readonly cacheSize: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenVerifierOptions) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 5_000, timeoutDuration: 5_000 });
    this.reuseFor = options.reuseVerifiedForMs ?? 60_000;
    this.cacheSize = options.cacheSize ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  async verify(token: string): Promise<Principal> {
    const now = this.now();
    const known = this.verified.get(token);
    if (known) {
      this.verified.delete(token);
      if (now < known.expiresAt && now < known.recheckAt) {
        this.verified.set(token, known); // most recently used last
        return known.principal;
      }
      if (now >= known.expiresAt) throw new InvalidTokenError('token expired');
    }
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALLOWED_ALGORITHMS,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now),
      });
      const id = subjectOf(payload.sub);
      const claimed = Array.isArray(payload.roles) ? payload.roles : [];
      const principal: Principal = {
        id,
        roles: claimed.filter(isRole),
        kind: payload.kind === 'service' ? 'service' : 'person',
        token,
      };
      if (this.reuseFor > 0) this.remember(token, principal, (payload.exp! + CLOCK_TOLERANCE_SECONDS) * 1000, now);
      return principal;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      throw new InvalidTokenError(describe(error));
    }
  }

  private remember(token: string, principal: Principal, expiresAt: number, now: number): void {
    this.verified.set(token, { principal, expiresAt, recheckAt: now + this.reuseFor });
    while (this.verified.size > this.cacheSize) this.verified.delete(this.verified.keys().next().value!);
  }
}

const SUBJECT_MAX_LENGTH = 255;
// Control characters, and UTF-16 surrogates without their pair.
const UNPRINTABLE = /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The caller's identity is the token's `sub`, as signed: a non-empty string of printable text.
 * Anything else (an array, a number, an object, an empty or padded string, control characters) is
 * refused rather than coerced, or `["alice"]` would be accepted as alice.
 */
function subjectOf(sub: unknown): string {
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > SUBJECT_MAX_LENGTH || sub.trim() !== sub) {
    throw new InvalidTokenError('token claim "sub" must be a non-empty string');
  }
  if (UNPRINTABLE.test(sub)) {
    throw new InvalidTokenError('token claim "sub" must be printable text');
  }
  return sub;
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `token claim "${error.claim}" is not valid`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is not valid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'token was not signed by a key of the issuer';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'token is malformed';
  return 'token could not be verified';
}
