import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { CurrentPrincipal, generateIssuerKey, signToken, startLocalIssuer, type IssuerKey, type Principal, type RunningIssuer } from '@kairos/auth';
import { createServiceApp } from './bootstrap';
import { PlatformModule } from './platform.module';

@Controller('v1/things')
class ThingsController {
  @Get()
  list(@CurrentPrincipal() principal: Principal) {
    return { caller: principal.id };
  }
}

/** What a browser is told by a service: security headers always, CORS only for the configured origins. */
describe('the browser edge (helmet, CORS)', () => {
  let issuer: RunningIssuer;
  let key: IssuerKey;
  const apps: INestApplication[] = [];
  const consoleOrigin = 'http://console.test:3000';

  async function app(corsOrigins?: string[]): Promise<INestApplication> {
    @Module({
      imports: [PlatformModule.forRoot({ service: 'edge-test', logLevel: 'error', auth: { issuer: issuer.issuer, audience: 'kairos', jwksUrl: issuer.jwksUrl } })],
      controllers: [ThingsController],
    })
    class TestModule {}
    const created = await createServiceApp(TestModule, { title: 'test', description: 'test' }, { corsOrigins });
    await created.init();
    apps.push(created);
    return created;
  }

  beforeAll(async () => {
    key = await generateIssuerKey();
    issuer = await startLocalIssuer(key);
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await issuer.close();
  });

  it('sets security headers on every response, answers and errors alike', async () => {
    const a = await app([consoleOrigin]);
    for (const path of ['/health/live', '/v1/things', '/nowhere']) {
      const res = await request(a.getHttpServer()).get(path);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('answers the console origin: preflight allows the bearer header, and the response is readable', async () => {
    const a = await app([consoleOrigin]);
    const preflight = await request(a.getHttpServer())
      .options('/v1/things')
      .set('origin', consoleOrigin)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'authorization, content-type, idempotency-key');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(consoleOrigin);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/authorization/);
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    const token = await signToken(key, { sub: 'alice', roles: ['requester'], issuer: issuer.issuer, audience: 'kairos' });
    const res = await request(a.getHttpServer()).get('/v1/things').set('origin', consoleOrigin).set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(consoleOrigin);
  });

  it('refuses a page on another origin reading the API with a stolen token: no CORS answer for an unconfigured origin', async () => {
    const a = await app([consoleOrigin]);
    const token = await signToken(key, { sub: 'alice', roles: ['requester'], issuer: issuer.issuer, audience: 'kairos' });
    for (const origin of ['http://evil.test', 'http://console.test:3001', 'null']) {
      const preflight = await request(a.getHttpServer()).options('/v1/things').set('origin', origin).set('access-control-request-method', 'GET');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      const res = await request(a.getHttpServer()).get('/v1/things').set('origin', origin).set('authorization', `Bearer ${token}`);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('answers CORS for nobody when no origin is configured', async () => {
    const a = await app();
    const preflight = await request(a.getHttpServer()).options('/v1/things').set('origin', consoleOrigin).set('access-control-request-method', 'GET');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    expect(preflight.status).toBeLessThan(500);
  });
});
