import { createServer, Socket, type Server } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import type { Kafka } from 'kafkajs';
import { loadConfig } from '@kairos/config';
import { accessRequestStreamName } from '@kairos/contracts';
import { createServiceApp } from '@kairos/http';
import { contractSchemas, ensureKairosTopics, headerValue, MessagePublisher, MessageSigner } from '@kairos/messaging';
import {
  authEnv,
  createTestDatabase,
  eventually,
  messageKeysEnv,
  startTestEventStore,
  startTestIssuer,
  startTestKafka,
  testMessageKeys,
  type TestDatabase,
  type TestIssuer,
} from '@kairos/testing';
import { config } from '../src/config';
import { identityRoleName } from '../src/domain/names';
import { ProvisioningConnectorModule } from '../src/provisioning-connector.module';
import { startProvisioningInbox } from '../src/adapters/kafka/provisioning.runtime';
import { collectResults, event, grantRequested, isMember, kafkaClient, sql, unique } from './fixtures';

/**
 * A TCP hop between the connector and EventStoreDB that the test can cut and restore: an outage of
 * the event store as the connector sees it (connections dropped, then refused), on the same address.
 */
class Link {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly upstreamPort: number) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(this.upstreamPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

/**
 * The connector confirms every grant on the request's own stream before recording it. When
 * EventStoreDB cannot be read that is not the message's fault: the message must wait (retried in
 * place through the Kafka inbox transport), never be dead-lettered or granted unconfirmed, and go
 * through once the event store is back. Real broker, event store, PostgreSQL and target database.
 */
describe('provisioning-connector, while the event store is unreachable', () => {
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let eventstore: Awaited<ReturnType<typeof startTestEventStore>>;
  let issuer: TestIssuer;
  let db: TestDatabase;
  let target: TestDatabase;
  let app: INestApplication;
  let kafka: Kafka;
  let link: Link;
  let esdb: EventStoreDBClient;
  let requestService: MessagePublisher;
  let reader: Awaited<ReturnType<typeof collectResults>>;
  let stopDead: () => Promise<void>;
  const dead: string[] = [];
  const blocked: { id?: unknown; reason?: unknown }[] = [];
  const role = unique('app_outage');

  beforeAll(async () => {
    const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array) => boolean;
    jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      const line = chunk.toString();
      if (!line.startsWith('{"time"')) return write(chunk);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.msg === 'message blocked by a failing dependency; retrying') blocked.push({ id: parsed.id, reason: parsed.reason });
      return true;
    }) as typeof process.stdout.write);
    [broker, eventstore, issuer, db, target] = await Promise.all([startTestKafka(), startTestEventStore(), startTestIssuer(), createTestDatabase('outage'), createTestDatabase('otarget')]);
    await ensureKairosTopics(broker.brokers);
    await sql(target.url, `CREATE ROLE ${role} NOLOGIN`);
    link = new Link(eventstore.port);
    await link.up();
    const cfg = loadConfig(config, {
      ...authEnv(issuer),
      ...messageKeysEnv('provisioning-connector'),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      EVENTSTORE_URL: `esdb://127.0.0.1:${link.port}?tls=false`,
      TARGET_POSTGRES_URL: target.url,
      LOG_LEVEL: 'warn',
      JOB_POLL_MS: '100',
    });
    app = await createServiceApp(ProvisioningConnectorModule.forRoot(cfg), { title: 'provisioning', description: 'test' });
    await app.init();
    await startProvisioningInbox(app);
    kafka = kafkaClient(broker.brokers);
    // The request service's side: its own way to the event store (never cut) and its signing key.
    esdb = EventStoreDBClient.connectionString(eventstore.connectionString);
    requestService = new MessagePublisher(kafka, contractSchemas, MessageSigner.of(testMessageKeys().keys['request-service']));
    reader = await collectResults(kafka);
    const dlq = kafka.consumer({ groupId: unique('dlq-reader') });
    await dlq.connect();
    await dlq.subscribe({ topic: 'provisioning-connector.dlq', fromBeginning: true });
    await dlq.run({ eachMessage: async ({ message }) => void dead.push(headerValue(message.headers, 'ce_id') ?? '') });
    stopDead = () => dlq.disconnect();
  }, 120_000);

  afterAll(async () => {
    await stopDead?.();
    await reader?.stop();
    await requestService?.disconnect();
    await app?.close();
    await link?.down();
    await esdb?.dispose();
    await Promise.all([db?.drop(), target?.drop()]);
    await sql(process.env.KAIROS_TEST_PG_URL!, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await Promise.all([broker?.close(), eventstore?.close(), issuer?.close()]);
    jest.restoreAllMocks();
  });

  it('holds a genuine grant (retried in place, not dead-lettered, not granted unconfirmed) and grants it once the event store is back', async () => {
    const grant = grantRequested({ subjectId: unique('nina'), target: { connector: 'postgres', target: role } });
    const message = event('GrantRequested', grant);
    // The request service recorded it on the request's stream; then the connector loses the event store.
    await esdb.appendToStream(accessRequestStreamName(grant.requestId), jsonEvent({ type: 'GrantRequested', data: grant as never }));
    await link.down();
    await requestService.publish([message]);

    await eventually(async () => blocked.some((b) => b.id === message.id), 'the message held for the unreachable event store', 90_000);
    expect(String(blocked.find((b) => b.id === message.id)!.reason)).toMatch(/request stream could not be read/);
    expect(dead).not.toContain(message.id);
    expect(reader.results.filter((r) => r.data.grantId === grant.grantId)).toEqual([]);
    expect(await isMember(target.url, role, identityRoleName(grant.subject.id))).toBe(false);

    await link.up();
    await eventually(async () => reader.results.some((r) => r.data.grantId === grant.grantId && r.type === 'GrantSucceeded'), 'the grant once the event store is back', 90_000);
    expect(await isMember(target.url, role, identityRoleName(grant.subject.id))).toBe(true);
    expect(dead).not.toContain(message.id);
  }, 240_000);
});
