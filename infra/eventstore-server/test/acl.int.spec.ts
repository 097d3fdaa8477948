import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { AccessDeniedError, binaryEvent, EventStoreDBClient, jsonEvent, START, type ResolvedEvent } from '@eventstore/db-client';
import { collect, events, startTestServer, tempDir, uniqueStream, type TestServer } from './harness';

/** Two ordinary users (alice, bob), an admin, over TLS: ACLs as EventStoreDB documents them. */
describe('stream access control over TLS', () => {
  const dir = tempDir('kairos-esdb-acl-');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  let t: TestServer;
  const clients: EventStoreDBClient[] = [];
  let admin: EventStoreDBClient;
  let alice: EventStoreDBClient;
  let bob: EventStoreDBClient;
  const connect = (user: string, password: string): EventStoreDBClient => {
    const client = EventStoreDBClient.connectionString(`esdb://${user}:${password}@localhost:${t.server.port}?tls=true&tlsCAFile=${certFile}`);
    clients.push(client);
    return client;
  };
  const denied = (promise: Promise<unknown>): Promise<void> => expect(promise).rejects.toBeInstanceOf(AccessDeniedError);

  beforeAll(async () => {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
    t = await startTestServer({
      memory: true,
      host: '127.0.0.1',
      tls: { certFile, keyFile },
      users: { admin: 'changeit', alice: 'alice-pw', bob: 'bob-pw' },
      userGroups: { admin: ['$admins'], alice: ['auditors'] },
    });
    admin = connect('admin', 'changeit');
    alice = connect('alice', 'alice-pw');
    bob = connect('bob', 'bob-pw');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets any user use a user stream without an ACL (the default $userStreamAcl)', async () => {
    const stream = uniqueStream();
    await alice.appendToStream(stream, events(1));
    await bob.appendToStream(stream, events(1));
    expect(await collect(bob.readStream(stream))).toHaveLength(2);
  });

  it("refuses a user who is not in a stream's $r, $w and $d", async () => {
    const stream = uniqueStream('private');
    await alice.appendToStream(stream, events(2));
    await alice.setStreamMetadata(stream, { acl: { readRoles: ['alice'], writeRoles: ['alice'], deleteRoles: ['alice'], metaReadRoles: ['alice'], metaWriteRoles: ['alice'] } });
    await denied(collect(bob.readStream(stream)));
    await denied(bob.appendToStream(stream, events(1)));
    await denied(bob.appendToStream(stream, events(1), { credentials: { username: 'bob', password: 'bob-pw' } }));
    await denied(bob.deleteStream(stream));
    await denied(bob.tombstoneStream(stream));
    expect(await collect(alice.readStream(stream))).toHaveLength(2);
    await alice.appendToStream(stream, events(1));
    expect(await collect(admin.readStream(stream))).toHaveLength(3);
  });

  it('refuses a subscription to a stream the user may not read', async () => {
    const stream = uniqueStream('private');
    await alice.appendToStream(stream, events(1));
    await alice.setStreamMetadata(stream, { acl: { readRoles: ['alice'] } });
    const subscription = bob.subscribeToStream(stream, { fromRevision: START });
    const failure = new Promise((resolve) => subscription.on('error', resolve));
    expect(await failure).toBeInstanceOf(AccessDeniedError);
  });

  it('refuses to let a user rewrite the ACL without $mw, or read metadata without $mr', async () => {
    const stream = uniqueStream('locked');
    await alice.appendToStream(stream, events(1));
    await alice.setStreamMetadata(stream, { acl: { readRoles: ['$all'], metaReadRoles: ['alice'], metaWriteRoles: ['alice'] } });
    await denied(bob.setStreamMetadata(stream, { acl: { readRoles: ['bob'] } }));
    await denied(bob.getStreamMetadata(stream));
    expect((await alice.getStreamMetadata(stream)).metadata?.acl?.metaWriteRoles).toEqual(['alice']);
    expect(await collect(bob.readStream(stream))).toHaveLength(1);
  });

  it('grants by group as well as by name', async () => {
    const stream = uniqueStream('audit');
    await admin.appendToStream(stream, events(1));
    await admin.setStreamMetadata(stream, { acl: { readRoles: ['auditors'], writeRoles: ['$admins'] } });
    expect(await collect(alice.readStream(stream))).toHaveLength(1);
    await denied(collect(bob.readStream(stream)));
    await denied(alice.appendToStream(stream, events(1)));
  });

  it('keeps $all and system streams for $admins', async () => {
    await denied(collect(bob.readAll({ maxCount: 1 })));
    const all = bob.subscribeToAll({ fromPosition: START });
    expect(await new Promise((resolve) => all.on('error', resolve))).toBeInstanceOf(AccessDeniedError);
    await denied(bob.appendToStream('$system-thing', events(1)));
    await denied(collect(bob.readStream('$kairos-node')));
    expect(await collect(admin.readAll({ maxCount: 1 }))).toHaveLength(1);
    await admin.appendToStream('$system-thing', events(1));
  });

  it('refuses a forged $settings written by a non-admin to open every stream', async () => {
    await denied(bob.appendToStream('$settings', jsonEvent({ type: 'update-default-acl', data: { $systemStreamAcl: { $r: '$all' } } })));
    await denied(collect(bob.readStream('$kairos-node')));
  });

  it('applies the default ACL from $settings to streams without their own', async () => {
    const stream = uniqueStream('defaulted');
    await bob.appendToStream(stream, events(1));
    await admin.appendToStream(
      '$settings',
      jsonEvent({
        type: 'update-default-acl',
        data: { $userStreamAcl: { $r: ['alice', '$admins'], $w: '$all', $d: '$admins', $mr: '$admins', $mw: '$admins' } },
      }),
    );
    try {
      await denied(collect(bob.readStream(stream)));
      expect(await collect(alice.readStream(stream))).toHaveLength(1);
      await bob.appendToStream(stream, events(1));
      await denied(bob.deleteStream(stream));
      // A stream's own $acl wins over the default, key by key.
      await admin.setStreamMetadata(stream, { acl: { readRoles: ['bob'] } });
      expect(await collect(bob.readStream(stream))).toHaveLength(2);
    } finally {
      await admin.appendToStream('$settings', jsonEvent({ type: 'update-default-acl', data: {} }));
    }
  });

  it('does not resolve a link to a stream the reader may not read', async () => {
    const secret = uniqueStream('secret');
    const links = uniqueStream('links');
    await alice.appendToStream(secret, events(1));
    await alice.setStreamMetadata(secret, { acl: { readRoles: ['alice'] } });
    await bob.appendToStream(links, binaryEvent({ type: '$>', data: Buffer.from(`0@${secret}`) }));
    const [mine] = await collect(alice.readStream(links, { resolveLinkTos: true }));
    expect(mine.event?.streamId).toBe(secret);
    const [theirs]: ResolvedEvent[] = await collect(bob.readStream(links, { resolveLinkTos: true }));
    expect(theirs.event).toBeUndefined();
    expect(theirs.link?.streamId).toBe(links);
  });
});
