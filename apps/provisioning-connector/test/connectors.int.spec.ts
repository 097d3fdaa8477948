import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@kairos/testing';
import { PostgresConnector } from '../src/adapters/connectors/postgres/postgres.connector';
import { WebhookConnector } from '../src/adapters/connectors/webhook/webhook.connector';
import { systemClock } from '@kairos/clock';
import { pluginOf } from '../src/adapters/connectors/registry';
import type { GrantSpec } from '../src/domain/connector';
import { verifySignature } from '../src/domain/signature';
import { sql, unique } from './fixtures';

const spec = (subjectId: string, target: string, role = 'reader', connector: 'postgres' | 'webhook' = 'postgres'): GrantSpec => ({
  action: 'grant',
  requestId: randomUUID(),
  itemId: 'i1',
  grantId: randomUUID(),
  subject: { id: subjectId, kind: 'person' as const },
  target,
  resourceId: 'orders-db',
  role,
  accessRole: pluginOf(connector).accessRole({ target, role, grantId: 'g' }),
  duration: 'PT1H',
  justification: 'INC-1 payments down',
});

describe('the postgres connector against a real target database', () => {
  let target: TestDatabase;
  let connector: PostgresConnector;
  const role = unique('app_reader');
  const privileged = unique('app_owner');

  beforeAll(async () => {
    target = await createTestDatabase('target');
    await sql(target.url, `CREATE ROLE ${role} NOLOGIN; CREATE ROLE ${privileged} NOLOGIN CREATEROLE`);
    connector = new PostgresConnector(target.url);
  });

  afterAll(async () => {
    await connector.close();
    await target.drop();
    await sql(process.env.KAIROS_TEST_PG_URL!, `DROP ROLE IF EXISTS ${role}; DROP ROLE IF EXISTS ${privileged}`).catch(() => undefined);
  });

  it('grants, verifies and revokes membership, creating the identity role once', async () => {
    const s = spec(`svc:${randomUUID()}`, role);
    expect(await connector.verify(s)).toBe('absent');
    await connector.grant(s);
    await connector.grant(s);
    expect(await connector.verify(s)).toBe('present');
    await connector.revoke(s);
    expect(await connector.verify(s)).toBe('absent');
    await connector.revoke(s);
  });

  it('rejects a target role smuggling SQL (SQL-injection attack)', async () => {
    await expect(connector.grant(spec('mallory', `${role}; ALTER ROLE mallory SUPERUSER`))).rejects.toThrow(/unsafe target role/);
  });

  it('rejects granting a privileged role', async () => {
    await expect(connector.grant(spec(unique('mallory'), privileged))).rejects.toThrow(/privileged/);
  });

  it('reports itself healthy when the target answers', async () => {
    expect(await connector.health()).toEqual({ healthy: true });
  });

  it('reports an unreachable target as unhealthy without the password', async () => {
    const url = new URL(target.url);
    url.port = '1';
    url.password = 'do-not-leak-this';
    const broken = new PostgresConnector(url.toString());
    try {
      const health = await broken.health();
      expect(health.healthy).toBe(false);
      expect(JSON.stringify(health)).not.toContain('do-not-leak-this');
    } finally {
      await broken.close();
    }
  });
});

describe('the webhook connector', () => {
  let server: Server;
  let url: string;
  const received: { signed: boolean; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const signed = verifySignature(
          's3cret',
          { signature: req.headers['x-kairos-signature'] as string, timestamp: req.headers['x-kairos-timestamp'] as string },
          body,
          Math.floor(Date.now() / 1000),
        );
        received.push({ signed, body });
        if (!signed) return void res.writeHead(401).end('bad signature');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ state: 'present' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('signs every call so the receiver can check it', async () => {
    const connector = new WebhookConnector({ url, secret: 's3cret', timeoutMs: 5_000 }, systemClock);
    expect(await connector.grant(spec('alice', 'crm', 'admin', 'webhook'))).toMatch(/^HTTP 200/);
    expect(await connector.verify(spec('alice', 'crm', 'admin', 'webhook'))).toBe('present');
    expect(received.every((r) => r.signed)).toBe(true);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ action: 'grant', subject: { id: 'alice' }, target: 'crm' });
  });

  it('fails when the receiver refuses the signature (a wrong key)', async () => {
    const connector = new WebhookConnector({ url, secret: 'wrong', timeoutMs: 5_000 }, systemClock);
    await expect(connector.grant(spec('alice', 'crm', 'admin', 'webhook'))).rejects.toThrow(/answered HTTP 401/);
  });

  it('is unhealthy and refuses to grant when no URL is configured', async () => {
    const connector = new WebhookConnector({ timeoutMs: 5_000 }, systemClock);
    expect(connector.configured).toBe(false);
    expect(await connector.health()).toEqual({ healthy: false, reason: 'WEBHOOK_URL is not set' });
    await expect(connector.grant(spec('alice', 'crm', 'admin', 'webhook'))).rejects.toThrow(/webhook connector is not configured: WEBHOOK_URL is not set/);
  });

  it('is unhealthy without a secret', async () => {
    const connector = new WebhookConnector({ url, timeoutMs: 5_000 }, systemClock);
    expect(await connector.health()).toMatchObject({ healthy: false, reason: expect.stringMatching(/secret/) });
  });
});
