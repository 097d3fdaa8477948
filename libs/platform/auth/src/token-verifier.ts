import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { isRole, type Principal } from './principal';

export interface TokenVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
}

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

  constructor(private readonly options: TokenVerifierOptions) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 5_000, timeoutDuration: 5_000 });
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALLOWED_ALGORITHMS,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: 5,
      });
      const id = subjectOf(payload.sub);
      const claimed = Array.isArray(payload.roles) ? payload.roles : [];
      return {
        id,
        roles: claimed.filter(isRole),
        kind: payload.kind === 'service' ? 'service' : 'person',
        token,
      };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      throw new InvalidTokenError(describe(error));
    }
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
