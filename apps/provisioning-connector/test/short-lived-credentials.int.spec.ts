import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Client } from 'pg';
import { EventStoreDBClient } from '@eventstore/db-client';
import { loadConfig } from '@kairos/config';
import { createServiceApp } from '@kairos/http';
import {
  authEnv,
  createTestDatabase,
  eventually,
  messageKeysEnv,
  startTestEventStore,
  startTestIssuer,
  startTestKafka,
  type TestDatabase,
  type TestIssuer,
} from '@kairos/testing';
import { config } from '../src/config';
import { ProvisioningConnectorModule } from '../src/provisioning-connector.module';
import { startProvisioningInbox } from '../src/adapters/kafka/provisioning.runtime';
import { collectResults, event, grantRequested, kafkaClient, RequestServicePublisher, revocationRequested, sql, unique, type Result } from './fixtures';
import { ensureKairosTopics } from '@kairos/messaging';

function expectStatus<T extends { status: number; body: unknown }>(res: T, status: number): T {
  if (res.status !== status) throw new Error(`expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res;
}

/** Every file under a directory, as bytes. */
function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      continue; // removed meanwhile (a temp file of a running server)
    }
    if (stat.isDirectory()) yield* filesUnder(path);
    else if (stat.isFile()) yield path;
  }
}

function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle);
  const found: string[] = [];
  for (const file of filesUnder(dir)) {
    try {
      if (readFileSync(file).includes(bytes)) found.push(file);
    } catch {
      /* vanished while reading */
    }
  }
  return found;
}

/** Every row of every table of every schema of a database, as text. */
async function everyRow(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ s: string; t: string }>(
      `SELECT n.nspname AS s, c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')`,
    );
    const chunks: string[] = [];
    for (const { s, t } of tables.rows) {
      const rows = await client.query(`SELECT x::text AS row FROM ${client.escapeIdentifier(s)}.${client.escapeIdentifier(t)} x`).catch(() => ({ rows: [] }));
      for (const r of rows.rows as { row: string }[]) chunks.push(r.row);
    }
    return chunks.join('\n');
  } finally {
    await client.end();
  }
}

async function logIn(url: string, login: string, password: string): Promise<Client> {
  const u = new URL(url);
  u.username = login;
  u.password = password;
  const client = new Client({ connectionString: u.toString(), connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('short-lived PostgreSQL credentials, end to end through the provisioning connector', () => {
  let kafkaDir: string;
  let esDir: string;
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let esdb: EventStoreDBClient;
  let issuer: TestIssuer;
  let db: TestDatabase;
  let target: TestDatabase;
  let app: INestApplication;
  let publisher: RequestServicePublisher;
  let reader: Awaited<ReturnType<typeof collectResults>>;
  const logLines: string[] = [];
  const role = unique('orders_reader');
  const passwords: string[] = [];

  const results = (grantId: string): Result[] => reader.results.filter((r) => r.data.grantId === grantId);
  const succeeded = (grantId: string, type: string) => results(grantId).some((r) => r.type === type);
  const fetchCredentials = async (grantId: string, as: string) =>
    request(app.getHttpServer())
      .get(`/v1/credentials/${encodeURIComponent(grantId)}`)
      .set('authorization', `Bearer ${await issuer.token(as, ['requester'])}`);

  beforeAll(async () => {
    const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array) => boolean;
    jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      const line = chunk.toString();
      if (line.startsWith('{"time"')) {
        logLines.push(line);
        return true;
      }
      return write(chunk);
    }) as typeof process.stdout.write);
    kafkaDir = mkdtempSync(join(tmpdir(), 'kairos-kafka-'));
    esDir = mkdtempSync(join(tmpdir(), 'kairos-es-'));
    [broker, eventstore, issuer, db, target] = await Promise.all([
      startTestKafka({ dataDir: kafkaDir }),
      startTestEventStore({ dataDir: esDir }),
      startTestIssuer(),
      createTestDatabase('prov'),
      createTestDatabase('target'),
    ]);
    // Topics exist because setup made them: the services never create any (issue 14).
    await ensureKairosTopics(broker.brokers);
    await sql(
      target.url,
      `CREATE ROLE ${role} NOLOGIN; CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders VALUES (1, 9.5), (2, 20);
       GRANT SELECT ON orders TO ${role}; GRANT CONNECT ON DATABASE "${target.name}" TO ${role}`,
    );
    const cfg = loadConfig(config, {
      ...authEnv(issuer),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      EVENTSTORE_URL: eventstore.connectionString,
      ...messageKeysEnv('provisioning-connector'),
      TARGET_POSTGRES_URL: target.url,
      LOG_LEVEL: 'debug',
      JOB_BACKOFF_MS: '50',
      JOB_POLL_MS: '100',
    });
    app = await createServiceApp(ProvisioningConnectorModule.forRoot(cfg), { title: 'provisioning', description: 'test' });
    await app.init();
    await startProvisioningInbox(app);
    esdb = EventStoreDBClient.connectionString(eventstore.connectionString);
    publisher = new RequestServicePublisher(kafkaClient(broker.brokers), esdb);
    reader = await collectResults(kafkaClient(broker.brokers));
  });

  afterAll(async () => {
    await reader?.stop();
    await publisher?.disconnect();
    await app?.close();
    await esdb?.dispose();
    await Promise.all([broker?.close(), eventstore?.close(), issuer?.close()]);
    await Promise.all([db?.drop(), target?.drop()]);
    await sql(process.env.KAIROS_TEST_PG_URL!, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    rmSync(kafkaDir, { recursive: true, force: true });
    rmSync(esDir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  it('alice logs in with what Kairos gave her, once, and the database refuses it after expiry', async () => {
    const alice = `${unique('alice')}@example.com`;
    const grant = grantRequested({ subjectId: alice, target: { connector: 'postgres', target: `${role}?mode=credentials` } });
    await publisher.publish([event('GrantRequested', { ...grant, duration: 'PT6S' })]);
    await eventually(async () => succeeded(grant.grantId, 'GrantSucceeded'), 'GrantSucceeded');
    expect(results(grant.grantId).find((r) => r.type === 'GrantSucceeded')!.data).toMatchObject({ verified: true });

    const first = expectStatus(await fetchCredentials(grant.grantId, alice), 200);
    expect(first.headers['cache-control']).toBe('no-store');
    const { login, password, fingerprint, validUntil, connection } = first.body;
    expect(password).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    passwords.push(password);
    expect(connection).toMatchObject({ database: target.name });
    expect(new Date(validUntil).getTime()).toBeGreaterThan(Date.now());

    // Once: afterwards only the fingerprint.
    const second = expectStatus(await fetchCredentials(grant.grantId, alice), 200);
    expect(second.body).toMatchObject({ login, fingerprint, password: null, passwordGone: 'delivered' });

    const session = await logIn(target.url, login, password);
    try {
      const rows = await session.query('SELECT current_user AS who, count(*)::int AS n FROM orders');
      expect(rows.rows[0]).toEqual({ who: login, n: 2 });
    } finally {
      await session.end();
    }

    // The database itself ends it: VALID UNTIL has passed.
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(validUntil).getTime() - Date.now()) + 1_000));
    await expect(logIn(target.url, login, password)).rejects.toThrow(/password authentication failed/);
  });

  it("refuses to hand alice's credentials to anyone else (someone guessing grant ids)", async () => {
    const alice = `${unique('alice')}@example.com`;
    const grant = grantRequested({ subjectId: alice, target: { connector: 'postgres', target: `${role}?mode=credentials` } });
    await publisher.publish([event('GrantRequested', grant)]);
    await eventually(async () => succeeded(grant.grantId, 'GrantSucceeded'), 'GrantSucceeded');
    const stolen = expectStatus(await fetchCredentials(grant.grantId, unique('mallory')), 404);
    expect(JSON.stringify(stolen.body)).not.toMatch(/kairos_jit_/);
    expectStatus(await fetchCredentials(`${randomUUID()}:i1:1`, alice), 404);
    expectStatus(await fetchCredentials('x;DROP TABLE', alice), 400);
    // Alice still gets them: mallory's attempt did not use them up.
    const mine = expectStatus(await fetchCredentials(grant.grantId, alice), 200);
    expect(mine.body.password).toEqual(expect.any(String));
    passwords.push(mine.body.password);
  });

  it('revocation drops the login and ends its open session', async () => {
    const alice = `${unique('alice')}@example.com`;
    const grant = grantRequested({ subjectId: alice, target: { connector: 'postgres', target: `${role}?mode=credentials` } });
    await publisher.publish([event('GrantRequested', grant)]);
    await eventually(async () => succeeded(grant.grantId, 'GrantSucceeded'), 'GrantSucceeded');
    const { login, password } = expectStatus(await fetchCredentials(grant.grantId, alice), 200).body;
    passwords.push(password);
    const session = await logIn(target.url, login, password);
    await publisher.publish([event('RevocationRequested', revocationRequested(grant))]);
    await eventually(async () => succeeded(grant.grantId, 'RevokeSucceeded'), 'RevokeSucceeded');
    expect(results(grant.grantId).find((r) => r.type === 'RevokeSucceeded')!.data).toMatchObject({ verified: true });
    await expect(session.query('SELECT 1')).rejects.toThrow();
    await session.end().catch(() => undefined);
    await expect(logIn(target.url, login, password)).rejects.toThrow(/password authentication failed|does not exist/);
  });

  it('no password is in any stored byte: PostgreSQL (every table of every schema, and its data directory), EventStoreDB and Kafka data, logs', async () => {
    expect(passwords.length).toBe(3);
    const admin = new Client({ connectionString: process.env.KAIROS_TEST_PG_URL });
    await admin.connect();
    let dataDirectory: string;
    try {
      await admin.query('CHECKPOINT');
      dataDirectory = (await admin.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
    } finally {
      await admin.end();
    }
    const rows = (await everyRow(db.url)) + (await everyRow(target.url));
    expect(rows).toContain('kairos_jit_'); // the search reads the tables the credentials went through
    const logs = logLines.join('');
    expect(logs).toContain(results(reader.results.find((r) => r.type === 'GrantSucceeded')!.data.grantId)[0]!.data.requestId);
    for (const password of passwords) {
      expect(rows).not.toContain(password);
      expect(logs).not.toContain(password);
      expect(filesContaining(kafkaDir, password)).toEqual([]);
      expect(filesContaining(esDir, password)).toEqual([]);
      expect(filesContaining(dataDirectory, password)).toEqual([]);
    }
    // The searches can find what is there: the stores do hold these grants.
    expect(filesContaining(kafkaDir, reader.results[0]!.data.grantId).length).toBeGreaterThan(0);
    expect(filesContaining(esDir, reader.results[0]!.data.requestId).length).toBeGreaterThan(0);
  });
});
