import { Body, Controller, Get, HttpCode, Module, Param, Post, Query, type INestApplication } from '@nestjs/common';
import { ApiConsumes } from '@nestjs/swagger';
import { IsString, MaxLength, ValidateNested, IsArray } from 'class-validator';
import { Type } from 'class-transformer';
import { SignJWT, importJWK } from 'jose';
import request from 'supertest';
import { generateIssuerKey, startLocalIssuer, type IssuerKey, type RunningIssuer, signToken } from '@kairos/auth';
import { createServiceApp } from './bootstrap';
import { INPUT_LIMITS } from './input-limits';
import { PlatformModule } from './platform.module';
import { ProblemError } from './problem';
import { IsOmittable } from './validation';

class NoteDto {
  @IsString()
  @MaxLength(50)
  text!: string;
}

class ThingDto {
  @IsString()
  @MaxLength(2000)
  justification!: string;

  @IsOmittable()
  @IsString()
  @MaxLength(1000)
  reason?: string;

  @IsOmittable()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => NoteDto)
  notes?: NoteDto[];
}

const received: unknown[] = [];

@Controller('v1/things')
class ThingsController {
  @Post()
  @HttpCode(201)
  create(@Body() body: ThingDto) {
    received.push(body);
    return { ok: true };
  }

  @Post('raw')
  @HttpCode(200)
  raw(@Body() body: unknown) {
    received.push(body);
    return { ok: true };
  }

  @Post('import')
  @HttpCode(200)
  @ApiConsumes('text/csv', 'application/json')
  import(@Body() body: unknown) {
    return { type: typeof body };
  }

  @Get('search')
  search(@Query('q') q = '') {
    received.push(q);
    return { q };
  }

  @Get('down')
  down() {
    throw new ProblemError(503, 'DEPENDENCY_UNAVAILABLE', 'Service Unavailable', 'the event store is not answering');
  }

  @Get(':id')
  get(@Param('id') id: string) {
    received.push(id);
    return { id };
  }
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('the HTTP edge refuses hostile input with a clear 4xx', () => {
  let issuer: RunningIssuer;
  let key: IssuerKey;
  let app: INestApplication;
  let token: string;
  const api = () => request(app.getHttpServer());
  const post = (path: string) => api().post(path).set('authorization', `Bearer ${token}`);
  const expectProblem = (res: request.Response, status: number) => {
    expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };

  beforeAll(async () => {
    key = await generateIssuerKey();
    issuer = await startLocalIssuer(key);
    @Module({
      imports: [PlatformModule.forRoot({ service: 'test-service', logLevel: 'error', auth: { issuer: issuer.issuer, audience: 'kairos', jwksUrl: issuer.jwksUrl } })],
      controllers: [ThingsController],
    })
    class TestModule {}
    app = await createServiceApp(TestModule, { title: 'test', description: 'test' });
    await app.init();
    token = await signToken(key, { sub: 'alice', roles: ['admin'], issuer: issuer.issuer, audience: 'kairos' });
  });

  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  beforeEach(() => received.splice(0));

  it('still accepts a well-formed UTF-8 JSON body', async () => {
    const res = await post('/v1/things').set('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ justification: 'INC-1 ✓ 😀', reason: 'fine' }));
    expect(res.status).toBe(201);
    expect(received).toEqual([{ justification: 'INC-1 ✓ 😀', reason: 'fine' }]);
  });

  it('answers a body over the limit with 413 problem+json', async () => {
    const res = await post('/v1/things').send({ justification: 'x'.repeat(INPUT_LIMITS.jsonBodyBytes + 10) });
    expectProblem(res, 413);
    expect(received).toEqual([]);
  });

  it('refuses JSON nested 10,000 levels deep with 400', async () => {
    const deep = `{"justification":"x","notes":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const res = await post('/v1/things').set('content-type', 'application/json').send(deep);
    expectProblem(res, 400);
    expect(res.body.detail).toMatch(/nested deeper than 32/);
  });

  it('refuses an array of 100,000 items with 413', async () => {
    const res = await post('/v1/things/raw').send({ items: new Array(100_000).fill(0) });
    expectProblem(res, 413);
    expect(received).toEqual([]);
  });

  it('refuses an object with thousands of properties with 413', async () => {
    const res = await post('/v1/things/raw').send(Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i])));
    expectProblem(res, 413);
  });

  it('refuses %00 in a path id with 400', async () => {
    const res = await api().get('/v1/things/abc%00def').set('authorization', `Bearer ${token}`);
    expectProblem(res, 400);
    expect(received).toEqual([]);
  });

  it('refuses a lone surrogate in a path id (malformed UTF-8 percent-encoding) with 400', async () => {
    const res = await api().get('/v1/things/%ED%A0%80').set('authorization', `Bearer ${token}`);
    expectProblem(res, 400);
  });

  it('refuses a NUL in a query parameter with 400', async () => {
    const res = await api().get('/v1/things/search?q=a%00b').set('authorization', `Bearer ${token}`);
    expectProblem(res, 400);
    expect(received).toEqual([]);
  });

  it('refuses application/json; charset=latin1 with 415', async () => {
    const res = await post('/v1/things').set('content-type', 'application/json; charset=latin1').send(Buffer.from('{"justification":"caf\xe9"}', 'latin1'));
    expectProblem(res, 415);
    expect(received).toEqual([]);
  });

  it('refuses a form-encoded body on a JSON route with 415', async () => {
    const res = await post('/v1/things').type('form').send('justification=from+a+form');
    expectProblem(res, 415);
    expect(received).toEqual([]);
  });

  it('refuses a text/csv body on a JSON route with 415, and accepts it where the route consumes it', async () => {
    expectProblem(await post('/v1/things').set('content-type', 'text/csv').send('a,b\n1,2'), 415);
    expect((await post('/v1/things/import').set('content-type', 'application/json').send({ a: 1 })).status).toBe(200);
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await post('/v1/things').set('content-type', 'application/json').send('{"justification": "x",');
    expectProblem(res, 400);
  });

  it('refuses null for an optional field instead of treating it as omitted', async () => {
    const res = await post('/v1/things').send({ justification: 'x', reason: null });
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: 'reason', messages: expect.arrayContaining(['reason must be a string']) }]);
  });

  it('says a missing field is required, not that it must be shorter', async () => {
    const res = await post('/v1/things').send({});
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: 'justification', messages: ['justification is required'] }]);
  });

  it.each([
    ['a NUL', 'before\u0000after'],
    ['a lone high surrogate', 'before\ud800after'],
    ['a lone low surrogate', '\udc00'],
  ])('refuses %s in any string of the body, however deep, with 400', async (_, text) => {
    for (const body of [{ justification: text }, { justification: 'ok', notes: [{ text }] }, { nested: { deeper: [[{ text }]] } }]) {
      const res = await post(body.nested ? '/v1/things/raw' : '/v1/things').set('content-type', 'application/json').send(JSON.stringify(body));
      expectProblem(res, 400);
      expect(res.body.code).toBe('INPUT_REFUSED');
    }
    expect(received).toEqual([]);
  });

  it('refuses a NUL in a property name with 400', async () => {
    const res = await post('/v1/things/raw').set('content-type', 'application/json').send('{"a\\u0000b": 1}');
    expectProblem(res, 400);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the prototype-pollution key %s with 400', async (name) => {
    const res = await post('/v1/things/raw').set('content-type', 'application/json').send(`{"settings":{"${name}":{"isAdmin":true}}}`);
    expectProblem(res, 400);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('does not echo refused values in the problem', async () => {
    const secret = 's3cret-token-value\u0000';
    const res = await post('/v1/things').send({ justification: secret });
    expectProblem(res, 400);
    expect(JSON.stringify(res.body)).not.toContain('s3cret');
  });

  it('says 503 with Retry-After when a dependency is unavailable', async () => {
    const res = await api().get('/v1/things/down').set('authorization', `Bearer ${token}`);
    expectProblem(res, 503);
    expect(res.headers['retry-after']).toBe('5');
  });

  describe('a signed token whose sub is not a non-empty string', () => {
    const signed = async (sub: unknown) => {
      const privateKey = await importJWK(key.privateJwk, 'ES256');
      return new SignJWT({ sub, roles: ['admin'] } as never)
        .setProtectedHeader({ alg: 'ES256', kid: key.kid })
        .setIssuer(issuer.issuer)
        .setAudience('kairos')
        .setExpirationTime('10m')
        .sign(privateKey);
    };

    it.each([
      ['an array', ['alice']],
      ['a number', 42],
      ['an object', { id: 'alice' }],
      ['an empty string', ''],
      ['a padded string', ' alice'],
      ['a string with a NUL', 'alice\u0000admin'],
    ])('refuses a signed token whose sub is %s with 401', async (_, sub) => {
      const res = await api().get('/v1/things/search').set('authorization', `Bearer ${await signed(sub)}`);
      expectProblem(res, 401);
      expect(res.body.detail).toMatch(/sub/);
      expect(received).toEqual([]);
    });

    it('refuses a token without sub (unsigned claims are never read) with 401', async () => {
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${b64({ alg: 'ES256', kid: key.kid })}.${b64({ roles: ['admin'], iss: issuer.issuer, aud: 'kairos', exp: now + 600 })}.AAAA`;
      expectProblem(await api().get('/v1/things/search').set('authorization', `Bearer ${unsigned}`), 401);
    });
  });
});
