import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { kafkaConnection, kafkaConnectionConfig, loadConfig, messageKeys } from '@kairos/config';
import { openServiceDataSource } from '@kairos/persistence';
import { createTestDatabase, messageKeysEnv, startTestKafka, type TestDatabase } from '@kairos/testing';
import { bindMessageAuthentication, messageAuthentication } from './authentication';
import { IdempotentConsumer } from './consumer';
import { createKafkaClient } from './kafka-client';
import { messagingMigrations } from './migrations';
import { MessagePublisher } from './publisher';
import { contractSchemas } from './schemas';

/**
 * The services' Kafka client settings (KAFKA_SSL*, KAFKA_SASL*, KAFKA_TOPIC_PREFIX, read through
 * the same config and client code the services use) against the project's broker speaking TLS,
 * SASL and ACLs.
 */
const PREFIX = 'team-a.prod.';
const TOPIC = 'expiry.events';
const ADMIN = { name: 'admin', password: 'admin-pw-0c1e' };
const SERVICE = { name: 'kairos', password: 'kairos-scram-pw-9b7a' };

function makeCerts(dir: string) {
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=kairos-test-ca']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
  openssl(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/O=Kairos/CN=kairos']);
  openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2']);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { caFile: join(dir, 'ca.pem'), ca: read('ca.pem'), cert: read('server.pem'), key: read('server.key'), clientCertFile: join(dir, 'client.pem'), clientKeyFile: join(dir, 'client.key') };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const timerFired = (n: number) => ({
  topic: TOPIC,
  key: `request-${n}`,
  id: `timer-${n}`,
  type: 'TimerFired',
  subject: `request-${n}`,
  time: '2026-11-24T10:00:00.000Z',
  source: 'urn:kairos:expiry-scheduler',
  data: { timerId: `t${n}`, requestId: `request-${n}`, itemId: 'i1', kind: 'access_expiry', dueAt: '2026-11-24T10:00:00.000Z', firedAt: '2026-11-24T10:00:00.100Z' },
});

describe('the services’ Kafka client settings against a secured broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-kafka-client-'));
  const certs = makeCerts(dir);
  const passwordFile = join(dir, 'kafka-password');
  writeFileSync(passwordFile, `${SERVICE.password}\n`);
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let db: TestDatabase;
  let dataSource: DataSource;
  let superuser: Kafka;
  const cleanups: (() => Promise<unknown>)[] = [];

  const serviceEnv = (overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_TOPIC_PREFIX: PREFIX,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: certs.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: SERVICE.name,
    KAFKA_SASL_PASSWORD_FILE: passwordFile,
    ...overrides,
  });
  const serviceClient = (overrides: NodeJS.ProcessEnv = {}) => createKafkaClient('kairos-test', kafkaConnection(loadConfig(kafkaConnectionConfig, serviceEnv(overrides))));

  beforeAll(async () => {
    broker = await startTestKafka({
      security: { tls: { cert: certs.cert, key: certs.key }, sasl: { users: [ADMIN, SERVICE] }, authorizer: { superUsers: ['User:admin'] } },
    });
    superuser = new Kafka({ clientId: 'admin', brokers: broker.brokers, ssl: { ca: [certs.ca] }, sasl: { mechanism: 'scram-sha-256', username: ADMIN.name, password: ADMIN.password }, logLevel: logLevel.NOTHING });
    // What a platform team grants Kairos on a shared cluster: its prefix, and nothing else.
    const admin = superuser.admin();
    await admin.connect();
    await admin.createAcls({
      acl: [AclResourceTypes.TOPIC, AclResourceTypes.GROUP].flatMap((resourceType) =>
        [AclOperationTypes.ALL].map((operation) => ({ resourceType, resourceName: PREFIX, resourcePatternType: ResourcePatternTypes.PREFIXED, principal: `User:${SERVICE.name}`, host: '*', operation, permissionType: AclPermissionTypes.ALLOW })),
      ).concat({
        // The publishers are idempotent producers (InitProducerId).
        resourceType: AclResourceTypes.CLUSTER,
        resourceName: 'kafka-cluster',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: `User:${SERVICE.name}`,
        host: '*',
        operation: AclOperationTypes.IDEMPOTENT_WRITE,
        permissionType: AclPermissionTypes.ALLOW,
      }),
    });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'other-team.orders', numPartitions: 1 }] });
    await admin.disconnect();
    db = await createTestDatabase();
    dataSource = await openServiceDataSource({ url: db.url, schema: 'svc', migrations: messagingMigrations });
  }, 120_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await dataSource?.destroy();
    await db?.drop();
    await broker?.close();
  });

  it('signs, publishes and consumes once over TLS and SCRAM-SHA-512, under the topic and group prefix', async () => {
    const kafka = bindMessageAuthentication(serviceClient(), messageAuthentication(messageKeys(messageKeysEnv('expiry-scheduler'))));
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 2 }, { topic: 'expiry-scheduler.dlq', numPartitions: 1 }] });
    const publisher = new MessagePublisher(kafka, contractSchemas);
    cleanups.push(() => publisher.disconnect());
    const handled: { topic: string; id: string }[] = [];
    const consumer = new IdempotentConsumer({
      kafka,
      groupId: 'expiry-scheduler',
      topics: [TOPIC],
      dataSource,
      publisher,
      schemas: contractSchemas,
      handle: async (message) => void handled.push({ topic: message.topic, id: message.id }),
    });
    await consumer.start();
    cleanups.push(() => consumer.stop());
    await publisher.publish([timerFired(1), timerFired(2)]);
    await eventually(async () => handled.length >= 2);
    // The code sees logical names (signatures verified, nothing dead-lettered) ...
    expect(handled.map((h) => h.topic)).toEqual([TOPIC, TOPIC]);
    expect((await dataSource.query(`SELECT outcome FROM svc.messaging_inbox WHERE consumer_group = 'expiry-scheduler'`)).map((r: { outcome: string }) => r.outcome)).toEqual(['processed', 'processed']);
    await consumer.ready();
    // ... the cluster sees prefixed ones, and the prefixed client sees only its own.
    const root = superuser.admin();
    await root.connect();
    cleanups.push(() => root.disconnect());
    const topics = await root.listTopics();
    expect(topics).toEqual(expect.arrayContaining([`${PREFIX}${TOPIC}`, `${PREFIX}expiry-scheduler.dlq`, 'other-team.orders']));
    expect(topics).not.toContain(TOPIC);
    expect((await admin.listTopics()).sort()).toEqual(['expiry-scheduler.dlq', TOPIC]);
    const { groups } = await root.describeGroups([`${PREFIX}expiry-scheduler`]);
    expect(groups[0]).toMatchObject({ groupId: `${PREFIX}expiry-scheduler`, state: 'Stable' });
  });

  it('cannot touch another team’s topics on the shared cluster (the ACL covers only the prefix)', async () => {
    const unprefixed = serviceClient({ KAFKA_TOPIC_PREFIX: '' });
    const producer = unprefixed.producer({ retry: { retries: 0 } });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const error = await producer.send({ topic: 'other-team.orders', messages: [{ value: 'x' }] }).then(() => null, (e: Error) => e);
    expect(error).not.toBeNull();
    expect(String(error)).toMatch(/authoriz/i);
  });

  it('refuses a wrong SCRAM password (SCRAM-SHA-256), and the error does not carry it', async () => {
    const wrong = join(dir, 'wrong-password');
    writeFileSync(wrong, 'not-the-pw-5e5e');
    const producer = serviceClient({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_PASSWORD_FILE: wrong }).producer({ retry: { retries: 0 } });
    const error = await producer.connect().then(() => null, (e: Error) => e);
    expect(error?.name).toBe('KafkaJSSASLAuthenticationError');
    expect(`${error?.message} ${error?.stack}`).not.toContain('not-the-pw-5e5e');
    await producer.disconnect().catch(() => undefined);
  });

  it('refuses a client that does not trust the broker’s CA (no KAFKA_SSL_CA_FILE)', async () => {
    const producer = serviceClient({ KAFKA_SSL_CA_FILE: '' }).producer({ retry: { retries: 0 } });
    const error = await producer.connect().then(() => null, (e: Error) => e);
    expect(String(error)).toMatch(/certificate|self.signed|unable to (get|verify)/i);
    await producer.disconnect().catch(() => undefined);
  });

  it('connects with mutual TLS from a client certificate and key file, and a broker refuses it without them', async () => {
    const mtls = await startTestKafka({ security: { tls: { cert: certs.cert, key: certs.key, ca: certs.ca, requireClientCert: true } } });
    cleanups.push(() => mtls.close());
    const env = { KAFKA_BROKERS: mtls.brokers.join(','), KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: certs.caFile };
    const client = createKafkaClient('kairos-mtls', kafkaConnection(loadConfig(kafkaConnectionConfig, { ...env, KAFKA_SSL_CERT_FILE: certs.clientCertFile, KAFKA_SSL_KEY_FILE: certs.clientKeyFile })));
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'mtls-check', numPartitions: 1 }] });
    expect(await admin.listTopics()).toContain('mtls-check');
    await admin.disconnect();
    const anonymous = createKafkaClient('kairos-no-cert', kafkaConnection(loadConfig(kafkaConnectionConfig, env))).admin({ retry: { retries: 0 } });
    const error = await anonymous.connect().then(() => null, (e: Error) => e);
    expect(error).not.toBeNull();
    await anonymous.disconnect().catch(() => undefined);
  });
});
