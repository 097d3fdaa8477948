import { generateIssuerKey, signToken, startLocalIssuer, type Role } from '@kairos/auth';

export interface TestIssuer {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly audience: string;
  /** A bearer token for `sub` with these roles, signed by the issuer. */
  token(sub: string, roles: Role[], options?: { kind?: 'person' | 'service'; ttlSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

/** A real OIDC-shaped issuer (JWKS over HTTP) for one test file. */
export async function startTestIssuer(audience = 'kairos'): Promise<TestIssuer> {
  const key = await generateIssuerKey();
  const running = await startLocalIssuer(key);
  return {
    issuer: running.issuer,
    jwksUrl: running.jwksUrl,
    audience,
    token: (sub, roles, options = {}) =>
      signToken(key, { sub, roles, kind: options.kind, ttlSeconds: options.ttlSeconds, issuer: running.issuer, audience }),
    close: () => running.close(),
  };
}

/** The environment every service reads for authentication, pointed at a test issuer. */
export const authEnv = (issuer: TestIssuer) => ({ AUTH_ISSUER: issuer.issuer, AUTH_AUDIENCE: issuer.audience, AUTH_JWKS_URL: issuer.jwksUrl });

/** Polls until `check` holds (for effects that cross Kafka); fails with `what` after the timeout. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what = 'condition', timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} was not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
