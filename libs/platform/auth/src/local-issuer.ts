import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { LocalSignIn, type SignInOptions } from './local-sign-in';
import type { Role } from './principal';

/**
 * The embedded default's OIDC issuer: one ES256 key kept in the data folder, its JWKS served over
 * HTTP exactly as a real provider would, so services verify local tokens the same way they verify
 * production ones.
 */
export interface IssuerKey {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export async function loadOrCreateIssuerKey(dir: string): Promise<IssuerKey> {
  const file = join(dir, 'issuer-key.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as IssuerKey;
  const key = await generateIssuerKey();
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

export async function generateIssuerKey(): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `kairos-${Date.now().toString(36)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, privateJwk, publicJwk };
}

export interface TokenRequest {
  readonly sub: string;
  readonly roles: readonly Role[];
  readonly kind?: 'person' | 'service';
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds?: number;
  readonly name?: string;
  readonly nonce?: string;
}

export async function signToken(key: IssuerKey, request: TokenRequest): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, 'ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: [...request.roles], kind: request.kind ?? 'person', ...(request.name ? { name: request.name } : {}), ...(request.nonce ? { nonce: request.nonce } : {}) })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(request.issuer)
    .setAudience(request.audience)
    .setSubject(request.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + (request.ttlSeconds ?? 8 * 3600))
    .sign(privateKey);
}

export interface RunningIssuer {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface LocalIssuerOptions {
  readonly port?: number;
  readonly host?: string;
  /** Sign-in for people (authorization code + PKCE, device flow); without it the issuer only serves its keys. */
  readonly signIn?: SignInOptions;
  /** `aud` of the access tokens sign-in issues. */
  readonly audience?: string;
  /** Browser origins allowed to call discovery, the JWKS and the token endpoint (CORS). */
  readonly corsOrigins?: readonly string[];
  /** Answers any other path (e.g. the console's static files); returns false to fall through to 404. */
  readonly fallback?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean | Promise<boolean>;
}

export async function startLocalIssuer(key: IssuerKey, options: LocalIssuerOptions = {}): Promise<RunningIssuer> {
  const host = options.host ?? '127.0.0.1';
  let issuer = '';
  const audience = options.audience ?? 'kairos';
  const ttl = options.signIn?.tokenTtlSeconds ?? 3600;
  const signIn = options.signIn
    ? new LocalSignIn(options.signIn, () => issuer, async (identity, clientId, nonce) => {
        const common = { sub: identity.sub, roles: identity.roles, kind: identity.kind, issuer, ttlSeconds: ttl, name: identity.name };
        const accessToken = await signToken(key, { ...common, audience });
        const idToken = await signToken(key, { ...common, audience: clientId, nonce });
        return { accessToken, idToken, expiresIn: ttl };
      })
    : undefined;
  const cors = new Set(options.corsOrigins ?? []);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const origin = req.headers.origin;
    const corsPath = path.startsWith('/.well-known/') || path === '/token';
    if (corsPath && origin && cors.has(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' }).end();
        return;
      }
    }
    if (path === '/.well-known/jwks.json') return json(res, { keys: [key.publicJwk] });
    if (path === '/.well-known/openid-configuration') {
      return json(res, { issuer, jwks_uri: `${issuer}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ['ES256'], ...(signIn?.discovery() ?? {}) });
    }
    if (signIn && (await signIn.handle(req, res, path))) return;
    if (options.fallback && (await options.fallback(req, res, path))) return;
    res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ title: 'Not Found', status: 404 }));
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ title: 'Internal Server Error', status: 500 }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  issuer = `http://${host}:${port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: import('node:http').ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(JSON.stringify(body));
}
