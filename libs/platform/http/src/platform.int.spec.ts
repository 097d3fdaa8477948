import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { SignJWT, importJWK } from 'jose';
import request from 'supertest';
import {
  CurrentPrincipal,
  generateIssuerKey,
  Roles,
  signToken,
  startLocalIssuer,
  type IssuerKey,
  type Principal,
  type RunningIssuer,
} from '@kairos/auth';
import { createServiceApp } from './bootstrap';
import { PlatformModule } from './platform.module';
import { ReadinessRegistry } from './readiness';

@Controller('v1/things')
class ThingsController {
  @Get()
  list(@CurrentPrincipal() principal: Principal) {
    return { caller: principal.id, roles: principal.roles };
  }

  @Roles('admin')
  @Get('secret')
  secret() {
    return { secret: true };
  }
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('the service platform', () => {
  let issuer: RunningIssuer;
  let key: IssuerKey;
  let app: INestApplication;
  let readinessOk = true;
  const token = (overrides: Partial<Parameters<typeof signToken>[1]> = {}) =>
    signToken(key, { sub: 'alice', roles: ['requester'], issuer: issuer.issuer, audience: 'kairos', ...overrides });

  beforeAll(async () => {
    key = await generateIssuerKey();
    issuer = await startLocalIssuer(key);
    @Module({
      imports: [PlatformModule.forRoot({ service: 'test-service', logLevel: 'error', auth: { issuer: issuer.issuer, audience: 'kairos', jwksUrl: issuer.jwksUrl } })],
      controllers: [ThingsController],
    })
    class TestModule {}
    app = await createServiceApp(TestModule, { title: 'test', description: 'test' });
    app.get(ReadinessRegistry).register('dependency', async () => {
      if (!readinessOk) throw new Error('dependency down');
    });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  it('accepts a valid token and exposes only the signed identity', async () => {
    const res = await request(app.getHttpServer()).get('/v1/things').set('authorization', `Bearer ${await token()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ caller: 'alice', roles: ['requester'] });
  });

  describe('attacks on authentication', () => {
    const expect401 = async (authorization?: string) => {
      const req = request(app.getHttpServer()).get('/v1/things');
      const res = authorization ? await req.set('authorization', authorization) : await req;
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      return res;
    };

    it('rejects a request without a token', async () => {
      await expect401();
    });

    it('rejects an expired token', async () => {
      const res = await expect401(`Bearer ${await token({ ttlSeconds: -60 })}`);
      expect(res.body.detail).toMatch(/expired/);
    });

    it('rejects a token from another issuer', async () => {
      await expect401(`Bearer ${await token({ issuer: 'https://evil.example' })}`);
    });

    it('rejects a token for another audience', async () => {
      await expect401(`Bearer ${await token({ audience: 'some-other-app' })}`);
    });

    it('rejects an unsigned token with alg none', async () => {
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', roles: ['admin'], iss: issuer.issuer, aud: 'kairos', exp: now + 600 })}.`;
      await expect401(`Bearer ${unsigned}`);
    });

    it('rejects a token signed by another key that claims the issuer key id', async () => {
      const other = await generateIssuerKey();
      await expect401(`Bearer ${await signToken({ ...other, kid: key.kid, privateJwk: { ...other.privateJwk, kid: key.kid } }, { sub: 'mallory', roles: ['admin'], issuer: issuer.issuer, audience: 'kairos' })}`);
    });

    it('rejects an HMAC token keyed with the public key (algorithm confusion)', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
      const forged = await new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .setSubject('mallory')
        .setIssuer(issuer.issuer)
        .setAudience('kairos')
        .setExpirationTime('10m')
        .sign(secret);
      await expect401(`Bearer ${forged}`);
    });

    it('rejects a role claim the issuer did not sign', async () => {
      const [header, payload, signature] = (await token()).split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const tampered = `${header}.${b64({ ...claims, roles: ['admin'] })}.${signature}`;
      await expect401(`Bearer ${tampered}`);
    });

    it('ignores roles sent outside the token', async () => {
      const res = await request(app.getHttpServer())
        .get('/v1/things/secret?roles=admin')
        .set('authorization', `Bearer ${await token()}`)
        .set('x-roles', 'admin');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('does not let an ES256 key be swapped for another curve key under the same kid', async () => {
      const other = await generateIssuerKey();
      const otherKey = await importJWK(other.privateJwk, 'ES256');
      const forged = await new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'ES256' })
        .setSubject('mallory')
        .setIssuer(issuer.issuer)
        .setAudience('kairos')
        .setExpirationTime('10m')
        .sign(otherKey);
      await expect401(`Bearer ${forged}`);
    });
  });

  it('grants a role-protected route to a caller with that signed role', async () => {
    const res = await request(app.getHttpServer()).get('/v1/things/secret').set('authorization', `Bearer ${await token({ roles: ['admin'] })}`);
    expect(res.status).toBe(200);
  });

  it('leaves health and metrics open, and ready reflects its dependencies', async () => {
    expect((await request(app.getHttpServer()).get('/health/live')).status).toBe(200);
    expect((await request(app.getHttpServer()).get('/health/ready')).status).toBe(200);
    readinessOk = false;
    const notReady = await request(app.getHttpServer()).get('/health/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.dependency).toEqual({ ok: false, error: 'dependency down' });
    readinessOk = true;
    const metrics = await request(app.getHttpServer()).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('kairos_http_requests_total');
  });

  it('answers an unknown route with problem+json and echoes a correlation id', async () => {
    const res = await request(app.getHttpServer()).get('/v1/nothing').set('authorization', `Bearer ${await token()}`).set('x-correlation-id', 'corr-42');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.headers['x-correlation-id']).toBe('corr-42');
    expect(res.body.correlationId).toBe('corr-42');
  });

  it('serves its OpenAPI document', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json');
    expect(res.status).toBe(200);
    expect(res.body.paths['/v1/things']).toBeDefined();
  });
});
