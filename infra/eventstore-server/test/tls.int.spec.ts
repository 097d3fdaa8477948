import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { AccessDeniedError, EventStoreDBClient } from '@eventstore/db-client';
import { collect, events, startTestServer, tempDir, uniqueStream, type TestServer } from './harness';

describe('over TLS with basic-auth users', () => {
  const dir = tempDir('kairos-esdb-tls-');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  let t: TestServer;
  const clients: EventStoreDBClient[] = [];
  const connect = (userInfo: string): EventStoreDBClient => {
    const client = EventStoreDBClient.connectionString(`esdb://${userInfo}localhost:${t.server.port}?tls=true&tlsCAFile=${certFile}`);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    t = await startTestServer({ memory: true, host: '127.0.0.1', tls: { certFile, keyFile }, users: { admin: 'changeit' } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a known user', async () => {
    const client = connect('admin:changeit@');
    const stream = uniqueStream();
    await client.appendToStream(stream, events(2));
    expect(await collect(client.readStream(stream))).toHaveLength(2);
  });

  it('refuses an unknown user or a wrong password', async () => {
    await expect(connect('admin:wrong@').appendToStream(uniqueStream(), events(1))).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(connect('mallory:changeit@').appendToStream(uniqueStream(), events(1))).rejects.toBeInstanceOf(AccessDeniedError);
  });

  it('refuses anonymous callers', async () => {
    await expect(collect(connect('').readAll({ maxCount: 1 }))).rejects.toBeInstanceOf(AccessDeniedError);
  });
});
