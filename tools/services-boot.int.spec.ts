import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');
const apps = ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector'];

function boot(app: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'tools', 'run-ts.js'), join(root, 'apps', app, 'src', 'main.ts')], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('a service started with bad configuration', () => {
  it.each(apps)('%s refuses to start and names each missing variable', async (app) => {
    const { code, stderr } = await boot(app, {});
    expect(code).toBe(78);
    const line = JSON.parse(stderr.trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'error', service: app, msg: 'refusing to start: invalid configuration' });
    expect(line.problems.join('\n')).toMatch(/DATABASE_URL is missing/);
    expect(line.problems.join('\n')).toMatch(/AUTH_JWKS_URL is missing/);
  });

  it('names a bad value without echoing a secret', async () => {
    const { code, stderr } = await boot('expiry-scheduler', {
      DATABASE_URL: 'postgres-with-password-s3cret',
      AUTH_ISSUER: 'http://issuer',
      AUTH_JWKS_URL: 'http://issuer/jwks.json',
      KAFKA_BROKERS: '127.0.0.1:9092',
      PORT: 'eighty',
    });
    expect(code).toBe(78);
    expect(stderr).toMatch(/PORT must be an integer/);
    expect(stderr).toMatch(/DATABASE_URL must be a URL/);
    expect(stderr).not.toMatch(/s3cret/);
  });

  it('names a bad message signing key without echoing it', async () => {
    const { code, stderr } = await boot('expiry-scheduler', {
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      AUTH_ISSUER: 'http://issuer',
      AUTH_JWKS_URL: 'http://issuer/jwks.json',
      KAFKA_BROKERS: '127.0.0.1:9092',
      MESSAGE_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----',
      MESSAGE_SIGNING_KEY_ID: 'expiry-1',
    });
    expect(code).toBe(78);
    expect(stderr).toMatch(/MESSAGE_SIGNING_KEY is not a PEM private key/);
    expect(stderr).toMatch(/MESSAGE_TRUSTED_KEYS is missing/);
    expect(stderr).not.toMatch(/c2VjcmV0LWtleS1tYXRlcmlhbA/);
  });
  it('names bad Kafka TLS and SASL settings without echoing the password', async () => {
    const { code, stderr } = await boot('expiry-scheduler', {
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      AUTH_ISSUER: 'http://issuer',
      AUTH_JWKS_URL: 'http://issuer/jwks.json',
      KAFKA_BROKERS: '127.0.0.1:9093',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'kairos',
      KAFKA_SASL_PASSWORD: 'kafka-pa55-leak-check',
      KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem',
      KAFKA_TOPIC_PREFIX: 'a b',
    });
    expect(code).toBe(78);
    expect(stderr).toMatch(/KAFKA_SASL_MECHANISM=plain sends the password in clear/);
    expect(stderr).toMatch(/KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true/);
    expect(stderr).toMatch(/KAFKA_TOPIC_PREFIX may hold only/);
    expect(stderr).not.toMatch(/kafka-pa55-leak-check/);
  });
});
