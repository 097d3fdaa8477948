import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { EventStoreDBClient } from '@eventstore/db-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@kairos/config';
import { createServiceApp } from '@kairos/http';
import {
  authEnv,
  createTestDatabase,
  eventually,
  startTestEventStore,
  startTestIssuer,
  type TestDatabase,
  type TestIssuer,
} from '@kairos/testing';
import { AuditProjectorModule } from '../src/audit-projector.module';
import { config } from '../src/config';
import { EventStoreEventLog } from '../src/adapters/eventstore/event-log';
import { AuditTables } from '../src/adapters/postgres/audit-schema';
import { PgReplayTarget } from '../src/adapters/postgres/replay-target';
import { replayAndCompare, formatReplayReport } from '../src/use-cases/replay/replay';
import { atHour as at, RequestScenario } from '@kairos/access-request-domain/testing';
import { appendRaw, appendScenario } from '../src/testing/event-store';

const NOW = new Date('2025-06-01T00:00:00.000Z');

describe('the audit projector API', () => {
  let db: TestDatabase;
  let es: Awaited<ReturnType<typeof startTestEventStore>>;
  let issuer: TestIssuer;
  let app: INestApplication;
  let client: EventStoreDBClient;
  let auditor: string;

  const alice = { id: 'u-alice', kind: 'person' as const };
  const carol = { id: 'u-carol', kind: 'person' as const };
  // alice: requested, approved by bob, granted 1h→5h, revoked at 5h.
  const r1 = RequestScenario.create(alice, 'db-prod', 'read')
    .requested(0)
    .reviewed(0.5, 'u-bob', 'approve')
    .granted(1)
    .expired(5);
  // carol: automatic, granted at 2h, still held.
  const r2 = RequestScenario.create(carol, 'db-prod', 'read').requested(2, { automatic: true, duration: 'PT8H' }).granted(2);
  // alice: denied.
  const r3 = RequestScenario.create(alice, 's3-logs', 'write')
    .requested(3, '=HYPERLINK("http://evil")')
    .reviewed(3.5, 'u-bob', 'deny');

  const get = async (path: string, token?: string) => {
    const req = request(app.getHttpServer()).get(path);
    return token ? req.set('authorization', `Bearer ${token}`) : req;
  };
  const timelineLength = async (requestId: string) => {
    const res = await get(`/v1/audit/requests/${requestId}/timeline`, auditor);
    return res.status === 200 ? (res.body.events as unknown[]).length : 0;
  };

  beforeAll(async () => {
    [db, es, issuer] = await Promise.all([createTestDatabase(), startTestEventStore(), startTestIssuer()]);
    client = EventStoreDBClient.connectionString(es.connectionString);
    const env = { PORT: '0', LOG_LEVEL: 'error', DATABASE_URL: db.url, EVENTSTORE_URL: es.connectionString, ...authEnv(issuer) };
    app = await createServiceApp(AuditProjectorModule.forRoot(loadConfig(config, env), { clock: { now: () => NOW } }), {
      title: 't',
      description: 't',
    });
    await app.init();
    auditor = await issuer.token('u-audrey', ['auditor']);
    for (const scenario of [r1, r2, r3]) await appendScenario(client, scenario);
    await appendRaw(client, r3.stream, 'SomethingNobodyDeclared', { requestId: r3.requestId });
    await appendRaw(client, r3.stream, 'AccessGranted', { requestId: r3.requestId, grantedAt: 'yesterday' });
    await eventually(async () => (await timelineLength(r3.requestId)) === 5, 'the projection to catch up');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await client?.dispose();
    await es?.close();
    await issuer?.close();
    await db?.drop();
  });

  it('shows the full timeline of a request in stream order with revision, position, time and data', async () => {
    const res = await get(`/v1/audit/requests/${r1.requestId}/timeline`, auditor);
    expect(res.status).toBe(200);
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(r1.events.map((e) => e.type));
    const first = res.body.events[0];
    expect(first).toMatchObject({ revision: '0', status: 'recorded', type: 'AccessRequested', data: r1.events[0]!.data });
    expect(BigInt(first.position.commit)).toBeGreaterThan(0n);
    expect(new Date(first.recordedAt).getTime()).not.toBeNaN();
  });

  it('records an unknown or malformed event in the timeline instead of rejecting it', async () => {
    const res = await get(`/v1/audit/requests/${r3.requestId}/timeline`, auditor);
    const [unknown, malformed] = res.body.events.slice(3);
    expect(unknown).toMatchObject({ type: 'SomethingNobodyDeclared', status: 'unknown' });
    expect(malformed).toMatchObject({ type: 'AccessGranted', status: 'malformed' });
    expect(malformed.problem).toMatch(/grantId|grantedAt/);
    const active = await get('/v1/audit/grants/active', auditor);
    expect(active.body.grants.map((g: { requestId: string }) => g.requestId)).not.toContain(r3.requestId);
  });

  it('is ready once the projection caught up with the store', async () => {
    const res = await get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.checks.projection).toEqual(expect.objectContaining({ ok: true }));
  });

  it('answers 404 for a request it has never seen', async () => {
    const res = await get('/v1/audit/requests/7d3c1f5e-0000-4000-8000-000000000000/timeline', auditor);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('AUDIT.REQUEST_NOT_FOUND');
  });

  it('lists the active grants only', async () => {
    const res = await get('/v1/audit/grants/active', auditor);
    expect(res.status).toBe(200);
    expect(res.body.grants).toEqual([
      expect.objectContaining({
        requestId: r2.requestId,
        subject: carol,
        resourceId: 'db-prod',
        role: 'read',
        grantedAt: at(2),
        expiresAt: at(10),
        endedAt: null,
      }),
    ]);
  });

  it('answers who had access to a resource at an instant', async () => {
    const holders = async (hours: number) =>
      (
        (await get(`/v1/audit/access?resourceId=db-prod&at=${encodeURIComponent(at(hours))}`, auditor)).body.grants as {
          subject: { id: string };
        }[]
      )
        .map((g) => g.subject.id)
        .sort();
    expect(await holders(0.5)).toEqual([]);
    expect(await holders(1)).toEqual(['u-alice']);
    expect(await holders(3)).toEqual(['u-alice', 'u-carol']);
    expect(await holders(5)).toEqual(['u-carol']);
  });

  it('lists everything an identity held between two instants', async () => {
    const holdings = async (from: number, to: number) =>
      (await get(`/v1/audit/identities/u-alice/holdings?from=${encodeURIComponent(at(from))}&to=${encodeURIComponent(at(to))}`, auditor))
        .body;
    const body = await holdings(-24, 24);
    expect(body.grants).toEqual([
      expect.objectContaining({
        requestId: r1.requestId,
        grantedAt: at(1),
        endedAt: at(5),
        endReason: 'expired',
        revocationVerified: true,
      }),
    ]);
    expect((await holdings(6, 7)).grants).toEqual([]);
    expect((await holdings(4.5, 4.6)).grants).toHaveLength(1);
  });

  it('summarises per resource and per identity', async () => {
    const resources = (await get('/v1/audit/summaries/resources', auditor)).body.resources;
    expect(resources).toEqual([
      expect.objectContaining({
        resourceId: 'db-prod',
        itemsRequested: 2,
        itemsDenied: 0,
        grants: 2,
        activeGrants: 1,
        distinctRequesters: 2,
      }),
      expect.objectContaining({ resourceId: 's3-logs', itemsRequested: 1, itemsDenied: 1, grants: 0, activeGrants: 0 }),
    ]);
    const identities = (await get('/v1/audit/summaries/identities', auditor)).body.identities;
    expect(identities).toEqual([
      expect.objectContaining({ identityId: 'u-alice', requests: 2, grants: 1, activeGrants: 0, distinctResources: 2 }),
      expect.objectContaining({ identityId: 'u-carol', requests: 1, grants: 1, activeGrants: 1, distinctResources: 1 }),
    ]);
  });

  it('gives each summary with its rows (who had what, when) as a JSON download', async () => {
    const res = await get('/v1/audit/summaries/resources', auditor);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="kairos-access-resources-2025-06-01.json"');
    expect(res.body).toMatchObject({ kind: 'resources', generatedAt: NOW.toISOString() });
    expect(res.body.rows).toEqual([
      expect.objectContaining({
        key: 'db-prod',
        subject: alice,
        resourceId: 'db-prod',
        role: 'read',
        grantedAt: at(1),
        endedAt: at(5),
        endReason: 'expired',
      }),
      expect.objectContaining({ key: 'db-prod', subject: carol, resourceId: 'db-prod', grantedAt: at(2), endedAt: null }),
    ]);
    const identities = (await get('/v1/audit/summaries/identities', auditor)).body.rows;
    expect(identities.map((row: { key: string; requestId: string }) => [row.key, row.requestId])).toEqual([
      ['u-alice', r1.requestId],
      ['u-carol', r2.requestId],
    ]);
  });

  it('limits the rows to the grants held in [from, to)', async () => {
    const window = (from: number, to: number) => `from=${encodeURIComponent(at(from))}&to=${encodeURIComponent(at(to))}`;
    const late = await get(`/v1/audit/summaries/resources?${window(5.5, 6)}`, auditor);
    expect(late.body).toMatchObject({ from: at(5.5), to: at(6) });
    expect(late.body.rows.map((row: { subject: { id: string } }) => row.subject.id)).toEqual(['u-carol']);
    expect((await get(`/v1/audit/summaries/resources?${window(-5, -1)}`, auditor)).body.rows).toEqual([]);
    const half = await get(`/v1/audit/summaries/resources?from=${encodeURIComponent(at(1))}`, auditor);
    expect(half.status).toBe(400);
    expect(half.body.errors).toEqual([{ field: 'to', messages: ['from and to go together'] }]);
  });

  it('gives the rows as a CSV download with its own content type, one grant a line', async () => {
    const res = await get('/v1/audit/summaries/identities?format=csv', auditor);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="kairos-access-identities-2025-06-01.csv"');
    const lines = res.text.trim().split('\r\n');
    expect(lines[0]).toBe(
      'identity,identity,identity_kind,resource,role,granted_at,expires_at,ended_at,end_reason,break_glass,grant_verified,revocation_verified,request_id,item_id,grant_id',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^u-alice,u-alice,person,db-prod,read,${at(1).replace(/\./g, '\\.')},`));
    expect(lines[1]).toContain(r1.requestId);
    expect(lines[2]).toMatch(/^u-carol,u-carol,person,db-prod,read,/);
  });

  it('refuses an unknown format rather than answering JSON to a CSV request', async () => {
    const res = await get('/v1/audit/summaries/resources?format=xlsx', auditor);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });

  it('answers 501 for group summaries while no stream records the requester groups', async () => {
    const res = await get('/v1/audit/summaries/groups', auditor);
    expect(res.status).toBe(501);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.code).toBe('AUDIT.GROUPS_NOT_RECORDED');
  });

  it('exports evidence as JSON: who, what, why, approvals with approvers, grant and revocation with verified flags', async () => {
    const res = await get(`/v1/audit/evidence?from=${encodeURIComponent(at(-1))}&to=${encodeURIComponent(at(24))}&format=json`, auditor);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ generatedAt: NOW.toISOString(), controls: expect.arrayContaining(['ISO/IEC 27001:2022 A.5.18']) });
    expect(res.body.records.map((r: { requestId: string }) => r.requestId)).toEqual([r1.requestId, r2.requestId, r3.requestId]);
    expect(res.body.records[0]).toMatchObject({
      requester: alice,
      resourceId: 'db-prod',
      role: 'read',
      justification: 'investigate incident INC-42',
      status: 'revoked',
      approval: { via: 'reviews', approvedAt: at(0.5), reviews: [expect.objectContaining({ reviewerId: 'u-bob', decision: 'approve' })] },
      grants: [
        expect.objectContaining({
          grantedAt: at(1),
          grantVerified: true,
          revokedAt: at(5),
          revocationVerified: true,
          revocationReason: 'expired',
        }),
      ],
    });
    expect(res.body.records[2]).toMatchObject({ status: 'denied', approval: { deniedBy: 'u-bob' }, grants: [] });
    const narrow = await get(`/v1/audit/evidence?from=${encodeURIComponent(at(1.5))}&to=${encodeURIComponent(at(2.5))}`, auditor);
    expect(narrow.body.records.map((r: { requestId: string }) => r.requestId)).toEqual([r2.requestId]);
  });

  it('exports evidence as CSV that a spreadsheet cannot execute', async () => {
    const res = await get(`/v1/audit/evidence?from=${encodeURIComponent(at(-1))}&to=${encodeURIComponent(at(24))}&format=csv`, auditor);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="kairos-evidence-2025-03-01-2025-03-02.csv"/);
    const lines = res.text.trim().split('\r\n');
    expect(lines[0]).toMatch(/^request_id,item_id,requester_id/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(r1.requestId);
    expect(lines[1]).toContain(`u-bob:approve:manager@${at(0.5)}`);
    expect(lines[3]).toContain(`"'=HYPERLINK(""http://evil"")"`);
  });

  it('verifies every stream as intact when nothing was touched', async () => {
    const res = await get('/v1/audit/verify', auditor);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ok: true,
      streams: 3,
      failed: [],
      checkedEvents: r1.events.length + r2.events.length + r3.events.length + 2,
    });
  });

  it('rebuilds every projection from the first event and finds it equal to the live one', async () => {
    const report = await replayAndCompare({ log: new EventStoreEventLog(client), target: new PgReplayTarget(app.get(DataSource), app.get(AuditTables)) });
    expect(formatReplayReport(report)).toContain('EQUAL');
    expect(report.equal).toBe(true);
    expect(report.events).toBe(r1.events.length + r2.events.length + r3.events.length + 2);
    expect(report.tables.find((t) => t.table === 'audit_grants')).toMatchObject({
      liveRows: 2,
      replayRows: 2,
      onlyInLive: 0,
      onlyInReplay: 0,
    });
    const [{ n }] = await app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = $1`, [report.scratchSchema]);
    expect(n).toBe(0);
  });

  it('summarises per group once requests carry the requester groups', async () => {
    const dave = { id: 'u-dave', kind: 'person' as const };
    const withGroups = RequestScenario.create(dave, 'db-prod', 'read', ['sre', 'oncall']).requested(6, { automatic: true }).granted(6);
    // An earlier producer sent the groups on the requester, outside the contract: still counted.
    const withLegacyGroups = RequestScenario.create({ id: 'u-erin', kind: 'person', groups: ['sre'] }, 'db-prod', 'read')
      .requested(7, { automatic: true })
      .granted(7);
    await appendScenario(client, withGroups);
    await appendScenario(client, withLegacyGroups);
    // The events land one by one: wait until the grants, not just the requests, have been projected.
    await eventually(async () => {
      const summary = await get('/v1/audit/summaries/groups', auditor);
      const grants = new Map((summary.body.groups ?? []).map((g: { groupId: string; grants: number }) => [g.groupId, g.grants]));
      return summary.status === 200 && grants.get('oncall') === 1 && grants.get('sre') === 2;
    }, 'group summaries with the grants');
    const res = await get('/v1/audit/summaries/groups', auditor);
    expect(res.body.rows.map((row: { key: string; subject: { id: string } }) => [row.key, row.subject.id])).toEqual([
      ['oncall', 'u-dave'],
      ['sre', 'u-dave'],
      ['sre', 'u-erin'],
    ]);
    const csv = await get('/v1/audit/summaries/groups?format=csv', auditor);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.text.split('\r\n')[0]).toMatch(/^group,identity,/);
    expect(res.body.groups).toEqual([
      expect.objectContaining({ groupId: 'oncall', distinctRequesters: 1, grants: 1, activeGrants: 1 }),
      expect.objectContaining({ groupId: 'sre', distinctRequesters: 2, grants: 2, activeGrants: 2 }),
    ]);
  });

  describe('bad input', () => {
    it('lists each bad field of a who-had-access query', async () => {
      const res = await get('/v1/audit/access?at=yesterday', auditor);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['at', 'resourceId']);
    });

    it('refuses a holdings range that ends before it starts', async () => {
      const res = await get(
        `/v1/audit/identities/u-alice/holdings?from=${encodeURIComponent(at(5))}&to=${encodeURIComponent(at(1))}`,
        auditor,
      );
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'to', messages: ['to must be after from'] }]);
    });

    it('refuses an unknown export format and a request id that is not a uuid', async () => {
      const format = await get(`/v1/audit/evidence?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(1))}&format=xlsx`, auditor);
      expect(format.status).toBe(400);
      expect(format.body.errors[0].field).toBe('format');
      const id = await get(`/v1/audit/requests/not-a-uuid/timeline`, auditor);
      expect(id.status).toBe(400);
    });
  });

  describe('attacks on authorization', () => {
    it('rejects a caller with no token', async () => {
      for (const path of ['/v1/audit/grants/active', `/v1/audit/requests/${r1.requestId}/timeline`, '/v1/audit/verify']) {
        const res = await get(path);
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
      }
    });

    it('rejects a requester reading the timeline, even of their own request', async () => {
      const res = await get(`/v1/audit/requests/${r1.requestId}/timeline`, await issuer.token('u-alice', ['requester']));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('rejects an approver exporting evidence', async () => {
      const res = await get(
        `/v1/audit/evidence?from=${encodeURIComponent(at(-1))}&to=${encodeURIComponent(at(24))}&format=csv`,
        await issuer.token('u-bob', ['approver']),
      );
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(r1.requestId);
    });

    it('rejects a service account without the auditor role asking who holds access', async () => {
      const res = await get(
        '/v1/audit/access?resourceId=db-prod&at=2025-03-01T12:00:00Z',
        await issuer.token('svc-ci', ['requester'], { kind: 'service' }),
      );
      expect(res.status).toBe(403);
    });

    it('rejects a requester running verify or reading summaries', async () => {
      const token = await issuer.token('u-alice', ['requester', 'approver']);
      expect((await get('/v1/audit/verify', token)).status).toBe(403);
      expect((await get('/v1/audit/summaries/resources', token)).status).toBe(403);
    });

    it('lets an admin read the active grants', async () => {
      expect((await get('/v1/audit/grants/active', await issuer.token('u-admin', ['admin']))).status).toBe(200);
    });
  });
});
