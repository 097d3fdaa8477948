import { generateIssuerKey, signToken, startLocalIssuer, TokenVerifier, type IssuerKey, type RunningIssuer } from './index';

/**
 * The verifier against the embedded issuer's real JWKS over HTTP. A token once verified is reused
 * (its signature is not checked again) for a short while, never past its own expiry, and only for
 * exactly the same text.
 */
describe('TokenVerifier reuses a verified token, and only that token, until it expires', () => {
  let key: IssuerKey;
  let issuer: RunningIssuer;
  beforeAll(async () => {
    key = await generateIssuerKey();
    issuer = await startLocalIssuer(key);
  });
  afterAll(() => issuer.close());

  const token = (ttlSeconds: number, sub = 'alice') => signToken(key, { sub, roles: ['requester'], issuer: issuer.issuer, audience: 'kairos', ttlSeconds });

  it('answers the same principal for a token presented again', async () => {
    const verifier = new TokenVerifier({ issuer: issuer.issuer, audience: 'kairos', jwksUrl: issuer.jwksUrl });
    const t = await token(600);
    const first = await verifier.verify(t);
    const again = await verifier.verify(t);
    expect(again).toEqual(first);
    expect(again).toMatchObject({ id: 'alice', roles: ['requester'], kind: 'person' });
  });

  it('refuses a token tampered after its genuine twin was accepted (the altered text is verified afresh)', async () => {
    const verifier = new TokenVerifier({ issuer: issuer.issuer, audience: 'kairos', jwksUrl: issuer.jwksUrl });
    const genuine = await token(600);
    await verifier.verify(genuine);
    const [header, , signature] = genuine.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'admin', roles: ['admin'], iss: issuer.issuer, aud: 'kairos', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    await expect(verifier.verify(`${header}.${forgedPayload}.${signature}`)).rejects.toThrow('token signature is not valid');
    // One character of the signature changed.
    const flipped = genuine.slice(0, -2) + (genuine.at(-2) === 'A' ? 'B' : 'A') + genuine.at(-1);
    await expect(verifier.verify(flipped)).rejects.toThrow(/token (signature is not valid|is malformed)/);
  });

  it('refuses a reused token once it has expired, even while its verification would still be reused', async () => {
    let now = Date.now();
    const verifier = new TokenVerifier({ issuer: issuer.issuer, audience: 'kairos', jwksUrl: issuer.jwksUrl, reuseVerifiedForMs: 60 * 60_000, now: () => now });
    const t = await token(30);
    await expect(verifier.verify(t)).resolves.toMatchObject({ id: 'alice' });
    now += 20_000;
    await expect(verifier.verify(t)).resolves.toMatchObject({ id: 'alice' });
    // 30 s of life plus the 5 s of clock tolerance jose applies: gone at 36 s.
    now += 16_000;
    await expect(verifier.verify(t)).rejects.toThrow('token expired');
    await expect(verifier.verify(t)).rejects.toThrow('token expired');
  });
});
