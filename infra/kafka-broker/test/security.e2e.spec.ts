import * as fs from 'node:fs';
import * as path from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes, SASLOptions, logLevel } from 'kafkajs';
import { Writer } from '../src/protocol/encoding';
import { spawnBroker, freePort, waitForExit } from './broker-process';
import { TestCerts, makeTestCerts } from './certs';
import { eventually, startTestBroker, tempDir, uniqueTopic } from './helpers';
import { requireKcat, runKcat } from './kcat';
import { RawClient } from './raw-client';

type Broker = Awaited<ReturnType<typeof startTestBroker>>;

const USERS = [
  { name: 'admin', password: 'admin-secret-7f3a' },
  { name: 'alice', password: 'alice-secret-91c2' },
  { name: 'bob', password: 'bob-secret-44d0' },
];
const password = (name: string) => USERS.find((u) => u.name === name)?.password as string;

function brokerType(e: unknown): string | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  const o = e as Record<string, unknown>;
  if (typeof o.type === 'string') return o.type;
  for (const key of ['cause', 'error', 'errors', 'groups', 'partitions']) {
    const inner = o[key];
    for (const item of Array.isArray(inner) ? inner : [inner]) {
      const found = brokerType(item);
      if (found) return found;
    }
  }
  return undefined;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return brokerType(err) ?? String(err);
  }
  throw new Error('expected a refusal');
}

describe('TLS, SASL and ACLs', () => {
  let certs: TestCerts;
  let broker: Broker;

  const client = (user: string, mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' = 'scram-sha-256', pw = password(user)): Kafka =>
    new Kafka({
      clientId: `test-${user}`,
      brokers: broker.brokers,
      ssl: { ca: [certs.ca] },
      sasl: { mechanism, username: user, password: pw } as SASLOptions,
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100 },
    });

  const kcatAs = (user: string, mechanism = 'SCRAM-SHA-256', pw = password(user)) => [
    '-b',
    broker.brokers[0],
    '-X',
    'security.protocol=SASL_SSL',
    '-X',
    `sasl.mechanisms=${mechanism}`,
    '-X',
    `sasl.username=${user}`,
    '-X',
    `sasl.password=${pw}`,
    '-X',
    `ssl.ca.location=${certs.caFile}`,
  ];

  beforeAll(async () => {
    requireKcat();
    certs = makeTestCerts();
    broker = await startTestBroker({
      security: {
        tls: { cert: certs.cert, key: certs.key },
        sasl: { users: USERS },
        authorizer: { superUsers: ['User:admin'] },
      },
    });
  });
  afterAll(() => broker?.close());

  it('lets kcat produce and consume over SASL_SSL with SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN', async () => {
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN']) {
      const topic = uniqueTopic(`kcat-${mechanism.toLowerCase()}`);
      const produced = await runKcat(['-P', ...kcatAs('admin', mechanism), '-t', topic, '-K:'], 'k1:hello\nk2:world\n');
      expect(produced).toMatchObject({ ok: true });
      const consumed = await runKcat(['-C', ...kcatAs('admin', mechanism), '-t', topic, '-o', 'beginning', '-e', '-f', '%k=%s\n']);
      expect(consumed.ok).toBe(true);
      expect(consumed.stdout.trim().split('\n')).toEqual(['k1=hello', 'k2=world']);
    }
  });

  it('lets kafkajs round-trip over SASL_SSL with every mechanism', async () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      const kafka = client('admin', mechanism);
      const topic = uniqueTopic(`kafkajs-${mechanism}`);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: mechanism }] });
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      expect((await admin.fetchTopicOffsets(topic))[0].high).toBe('1');
      await admin.disconnect();
    }
  });

  it('refuses a wrong password with SASL_AUTHENTICATION_FAILED for every mechanism, and kcat gets no data', async () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      const producer = client('alice', mechanism, 'not-her-password').producer();
      const err = await producer.connect().then(
        () => null,
        (e: Error) => e,
      );
      // kafkajs turns the broker's SASL_AUTHENTICATION_FAILED into this error, carrying the broker's message.
      expect(err?.name).toBe('KafkaJSSASLAuthenticationError');
      expect(err?.message).toContain('Authentication failed: Invalid username or password');
      expect(String(err?.message)).not.toContain('not-her-password');
      await producer.disconnect().catch(() => undefined);
    }
    const kcat = await runKcat(['-L', ...kcatAs('alice', 'SCRAM-SHA-512', 'wrong'), '-m', '5'], undefined, 15_000);
    expect(kcat.ok).toBe(false);
    expect(kcat.stderr).toMatch(/Authentication failed/i);
  });

  it('refuses an unknown user the same way as a wrong password', async () => {
    const producer = client('mallory', 'scram-sha-256', 'guess').producer();
    const err = await producer.connect().then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toBe('SASL SCRAM SHA256 authentication failed: Authentication failed: Invalid username or password');
    await producer.disconnect().catch(() => undefined);
  });

  it('drops a plaintext client on the TLS listener and keeps serving', async () => {
    const raw = await RawClient.connect(broker.port);
    raw.socket.write(Buffer.from([0, 0, 0, 12, 0, 18, 0, 0, 0, 0, 0, 1, 0, 2, 0x61, 0x61]));
    await raw.whenClosed();
    const produced = await runKcat(['-P', ...kcatAs('admin'), '-t', uniqueTopic('after-plain')], 'still\n');
    expect(produced.ok).toBe(true);
  });

  describe('with ACLs', () => {
    const orders = uniqueTopic('orders');
    const ledger = uniqueTopic('ledger');
    const bobGroup = uniqueTopic('bob-group');

    beforeAll(async () => {
      const admin = client('admin').admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: orders }, { topic: ledger }] });
      await admin.createAcls({
        acl: [
          { resourceType: AclResourceTypes.TOPIC, resourceName: orders, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW },
          { resourceType: AclResourceTypes.TOPIC, resourceName: orders, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
          { resourceType: AclResourceTypes.GROUP, resourceName: bobGroup, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
        ],
      });
      await admin.disconnect();
    });

    it('lets alice write the topic her ACL names', async () => {
      const producer = client('alice').producer();
      await producer.connect();
      const [ack] = await producer.send({ topic: orders, messages: [{ key: 'o-1', value: 'from alice' }] });
      await producer.disconnect();
      expect(ack.errorCode).toBe(0);
    });

    it('refuses bob writing a topic only alice may write (TOPIC_AUTHORIZATION_FAILED), through kafkajs and kcat', async () => {
      const producer = client('bob').producer();
      await producer.connect();
      expect(await refusal(producer.send({ topic: orders, messages: [{ value: 'forged by bob' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      await producer.disconnect();
      const kcat = await runKcat(['-P', ...kcatAs('bob'), '-t', orders], 'forged\n');
      expect(kcat.stderr).toMatch(/authorization failed/i);
      const admin = client('admin').admin();
      await admin.connect();
      const [offsets] = await admin.fetchTopicOffsets(orders);
      await admin.disconnect();
      expect(offsets.high).toBe('1');
    });

    it('refuses alice writing a topic she has no ACL for, and creating topics (TOPIC_AUTHORIZATION_FAILED)', async () => {
      const producer = client('alice').producer();
      await producer.connect();
      expect(await refusal(producer.send({ topic: ledger, messages: [{ value: 'x' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      await producer.disconnect();
      const admin = client('alice').admin();
      await admin.connect();
      expect(await refusal(admin.createTopics({ topics: [{ topic: uniqueTopic('alice-made') }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      await admin.disconnect();
    });

    it('lets bob read the topic in his group, and refuses alice that group (GROUP_AUTHORIZATION_FAILED)', async () => {
      const consumer = client('bob').consumer({ groupId: bobGroup, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: orders, fromBeginning: true });
      const seen: string[] = [];
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
      await eventually(() => seen.length === 1, 20_000, "alice's message");
      await consumer.disconnect();
      expect(seen).toEqual(['from alice']);

      // kafkajs reports FindCoordinator's GROUP_AUTHORIZATION_FAILED as "coordinator not found"; librdkafka names it.
      const admin = client('alice').admin();
      await admin.connect();
      expect(await refusal(admin.fetchOffsets({ groupId: bobGroup, topics: [orders] }))).toMatch(/GroupCoordinatorNotFound|GROUP_AUTHORIZATION_FAILED/);
      await admin.disconnect();
      const kcat = await runKcat(['-b', broker.brokers[0], ...kcatAs('alice').slice(2), '-G', bobGroup, '-e', orders], undefined, 15_000);
      expect(kcat.stderr).toMatch(/group authorization failed/i);
    });

    it('refuses bob reading a topic he has no ACL for (TOPIC_AUTHORIZATION_FAILED), through kcat', async () => {
      const kcat = await runKcat(['-C', ...kcatAs('bob'), '-t', ledger, '-o', 'beginning', '-e'], undefined, 15_000);
      expect(kcat.ok).toBe(false);
      expect(kcat.stderr).toMatch(/authorization failed/i);
    });

    it('refuses ACL changes and idempotent producers from users without cluster rights (CLUSTER_AUTHORIZATION_FAILED)', async () => {
      const admin = client('alice').admin();
      await admin.connect();
      const grant = {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: ledger,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:alice',
        host: '*',
        operation: AclOperationTypes.ALL,
        permissionType: AclPermissionTypes.ALLOW,
      };
      expect(await refusal(admin.createAcls({ acl: [grant] }))).toBe('CLUSTER_AUTHORIZATION_FAILED');
      expect(await refusal(admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }))).toBe(
        'CLUSTER_AUTHORIZATION_FAILED',
      );
      await admin.disconnect();
      const idempotent = client('alice').producer({ idempotent: true, maxInFlightRequests: 1 });
      expect(await refusal(idempotent.connect())).toBe('CLUSTER_AUTHORIZATION_FAILED');
      await idempotent.disconnect().catch(() => undefined);
    });

    it('describes and deletes ACLs for a super user; a deleted grant stops working at once and stays deleted after a restart', async () => {
      const admin = client('admin').admin();
      await admin.connect();
      const described = await admin.describeAcls({
        resourceType: AclResourceTypes.TOPIC,
        resourceName: orders,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      expect(described.resources[0].acls.map((a) => `${a.principal}:${a.operation}`).sort()).toEqual(['User:alice:4', 'User:bob:3']);
      const deleted = await admin.deleteAcls({
        filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: orders, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }],
      });
      expect(deleted.filterResponses[0].matchingAcls).toHaveLength(1);
      await admin.disconnect();

      const producer = client('alice').producer();
      await producer.connect();
      expect(await refusal(producer.send({ topic: orders, messages: [{ value: 'no longer' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      await producer.disconnect();

      const dataDir = broker.dataDir;
      await broker.close();
      broker = await startTestBroker({ dataDir, security: { tls: { cert: certs.cert, key: certs.key }, sasl: { users: USERS }, authorizer: { superUsers: ['User:admin'] } } });
      const after = client('admin').admin();
      await after.connect();
      const remaining = await after.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
      await after.disconnect();
      expect(remaining.resources.flatMap((r) => r.acls.map((a) => a.principal)).sort()).toEqual(['User:bob', 'User:bob']);
    });

    it('refuses an ACL with an invalid principal with INVALID_REQUEST', async () => {
      const admin = client('admin').admin();
      await admin.connect();
      const bad = { resourceType: AclResourceTypes.TOPIC, resourceName: orders, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW };
      expect(await refusal(admin.createAcls({ acl: [bad] }))).toBe('INVALID_REQUEST');
      await admin.disconnect();
    });
  });
});

describe('SASL on a plaintext listener (SASL_PLAINTEXT)', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startTestBroker({ memory: true, security: { sasl: { mechanisms: ['PLAIN'], users: USERS } } });
  });
  afterAll(() => broker.close());

  it('closes a connection that asks for Metadata before authenticating', async () => {
    const raw = await RawClient.connect(broker.port);
    void raw.request(3, 1, new Writer().int32(-1)).catch(() => undefined);
    await raw.whenClosed();
    expect(raw.closed).toBe(true);
  });

  it('answers a mechanism it does not enable with UNSUPPORTED_SASL_MECHANISM and the enabled list', async () => {
    const raw = await RawClient.connect(broker.port);
    const r = await raw.request(17, 1, new Writer().string('SCRAM-SHA-256'));
    expect(r.int16()).toBe(33);
    expect(r.array((r) => r.string())).toEqual(['PLAIN']);
    raw.close();
  });

  it('serves SaslHandshake v0 with bare tokens, and closes the connection on a wrong password', async () => {
    const rawToken = (raw: RawClient, token: Buffer) => {
      const frame = raw.nextFrame();
      raw.socket.write(Buffer.concat([new Writer().int32(token.length).toBuffer(), token]));
      return frame;
    };
    const good = await RawClient.connect(broker.port);
    const hs = await good.request(17, 0, new Writer().string('PLAIN'));
    expect(hs.int16()).toBe(0);
    expect((await rawToken(good, Buffer.from(`\0bob\0${password('bob')}`))).length).toBe(0);
    const meta = await good.request(3, 1, new Writer().int32(-1));
    expect(meta.int32()).toBe(1);
    good.close();

    const bad = await RawClient.connect(broker.port);
    expect((await bad.request(17, 0, new Writer().string('PLAIN'))).int16()).toBe(0);
    void rawToken(bad, Buffer.from('\0bob\0guessed'));
    await bad.whenClosed();
    expect(bad.closed).toBe(true);
  });

  it('lets kcat and kafkajs in with PLAIN', async () => {
    const topic = uniqueTopic('sasl-plaintext');
    const kafka = new Kafka({ brokers: broker.brokers, sasl: { mechanism: 'plain', username: 'bob', password: password('bob') }, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'plain' }] });
    await producer.disconnect();
    const out = await runKcat(['-C', '-b', broker.brokers[0], '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=bob', '-X', `sasl.password=${password('bob')}`, '-t', topic, '-o', 'beginning', '-e']);
    expect(out.stdout.trim()).toBe('plain');
  });
});

describe('mutual TLS', () => {
  it('names a client by its certificate subject, which ACLs can grant to', async () => {
    const certs = makeTestCerts();
    const broker = await startTestBroker({
      memory: true,
      security: { tls: { cert: certs.cert, key: certs.key, ca: certs.ca, requireClientCert: true }, authorizer: { superUsers: ['User:CN=svc-orders,O=Kairos'] } },
    });
    try {
      const ssl = { ca: [certs.ca], cert: certs.clientCert, key: certs.clientKey };
      const kafka = new Kafka({ brokers: broker.brokers, ssl, logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      const [ack] = await producer.send({ topic: uniqueTopic('mtls'), messages: [{ value: 'signed' }] });
      await producer.disconnect();
      expect(ack.errorCode).toBe(0);
      const anonymous = new Kafka({ brokers: broker.brokers, ssl: { ca: [certs.ca] }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
      const refused = anonymous.producer();
      expect(await refusal(refused.connect())).not.toBe('NONE');
      await refused.disconnect().catch(() => undefined);
    } finally {
      await broker.close();
    }
  });
});

describe('the broker CLI with --security', () => {
  it('refuses a broken security file without quoting it (it holds passwords)', async () => {
    const dir = tempDir('cli-bad-security');
    const file = path.join(dir, 'security.json');
    fs.writeFileSync(file, '{"sasl": {"users": [{"name": "admin", "password": "hunter2-secret" oops}]}}');
    const port = await freePort();
    const error = await spawnBroker(port, ['--memory', '--security', file]).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toContain('is not valid JSON');
    expect(error?.message).not.toContain('hunter2');
  });

  it('runs SASL_SSL from a config file and never prints the passwords it holds', async () => {
    const certs = makeTestCerts();
    const dir = tempDir('cli-security');
    const file = path.join(dir, 'security.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ tls: { certFile: certs.certFile, keyFile: certs.keyFile }, sasl: { users: USERS }, authorizer: { superUsers: ['User:admin'] } }),
      { mode: 0o600 },
    );
    const port = await freePort();
    const proc = await spawnBroker(port, ['--data', path.join(dir, 'data'), '--security', file]);
    let output = proc.readyLine;
    proc.child.stdout?.on('data', (d) => (output += String(d)));
    proc.child.stderr?.on('data', (d) => (output += String(d)));
    try {
      expect(proc.readyLine).toContain('SASL_SSL');
      const base = ['-b', proc.brokers[0], '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', `ssl.ca.location=${certs.caFile}`];
      const topic = uniqueTopic('cli');
      expect((await runKcat(['-P', ...base, '-X', 'sasl.username=admin', '-X', `sasl.password=${password('admin')}`, '-t', topic], 'over the cli\n')).ok).toBe(true);
      const wrong = await runKcat(['-L', ...base, '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret-WRONG', '-m', '5'], undefined, 15_000);
      expect(wrong.ok).toBe(false);
      const out = await runKcat(['-C', ...base, '-X', 'sasl.username=admin', '-X', `sasl.password=${password('admin')}`, '-t', topic, '-o', 'beginning', '-e']);
      expect(out.stdout.trim()).toBe('over the cli');
    } finally {
      proc.child.kill('SIGTERM');
      await waitForExit(proc.child);
    }
    for (const u of USERS) expect(output).not.toContain(u.password);
    expect(output).not.toContain('alice-secret-WRONG');
    const stored = fs.readdirSync(path.join(dir, 'data')).filter((f) => f.endsWith('.json') || f.endsWith('.log'));
    for (const f of stored) for (const u of USERS) expect(fs.readFileSync(path.join(dir, 'data', f), 'utf8')).not.toContain(u.password);
  });
});
