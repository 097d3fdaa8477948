import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';
import { kafkaConfig } from './common';
import { generateMessageKey, messageKeys, trustedKeyFileName, trustedKeysDocument } from './message-keys';

const own = generateMessageKey('request-service', 'rs-1');
const other = generateMessageKey('approval-policy-service', 'aps-1');
const trusted = trustedKeysDocument([own, other]);
const valid = { KAFKA_BROKERS: 'k:9092', MESSAGE_SIGNING_KEY: own.privateKeyPem, MESSAGE_SIGNING_KEY_ID: own.keyId, MESSAGE_TRUSTED_KEYS: trusted };

const problems = (env: NodeJS.ProcessEnv): string => {
  try {
    loadConfig(kafkaConfig, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  return '';
};

describe('message key configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kairos-keys-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the signing key and the trusted keys, each assigned to its producer', () => {
    const keys = messageKeys(loadConfig(kafkaConfig, valid));
    expect(keys.signing.keyId).toBe('rs-1');
    expect(keys.signing.privateKey.asymmetricKeyType).toBe('ed25519');
    expect([...keys.trusted].map(([id, k]) => [id, k.producer])).toEqual([
      ['rs-1', 'request-service'],
      ['aps-1', 'approval-policy-service'],
    ]);
  });

  it('names each missing variable', () => {
    const found = problems({ KAFKA_BROKERS: 'k:9092' });
    expect(found).toMatch(/MESSAGE_SIGNING_KEY is missing/);
    expect(found).toMatch(/MESSAGE_SIGNING_KEY_ID is missing/);
    expect(found).toMatch(/MESSAGE_TRUSTED_KEYS is missing/);
  });

  it('names a signing key that is not a key, and never echoes it', () => {
    const found = problems({ ...valid, MESSAGE_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nhunter2hunter2\n-----END PRIVATE KEY-----' });
    expect(found).toMatch(/MESSAGE_SIGNING_KEY is not a PEM private key/);
    expect(found).not.toMatch(/hunter2/);
  });

  it('refuses a signing key of another algorithm', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(problems({ ...valid, MESSAGE_SIGNING_KEY: rsa })).toMatch(/MESSAGE_SIGNING_KEY must be an Ed25519 key, got rsa/);
  });

  it('refuses a trusted key that names no known producer (a typo must not silently trust nobody, or anybody)', () => {
    const typo = JSON.stringify({ x1: { producer: 'request-svc', publicKey: own.publicKeyPem } });
    expect(problems({ ...valid, MESSAGE_TRUSTED_KEYS: typo })).toMatch(/MESSAGE_TRUSTED_KEYS: key "x1" must name its producer, one of request-service, /);
  });

  it('refuses a private key pasted into the trusted keys, without echoing it', () => {
    const leaked = JSON.stringify({ x1: { producer: 'request-service', publicKey: own.privateKeyPem } });
    const found = problems({ ...valid, MESSAGE_TRUSTED_KEYS: leaked });
    expect(found).toMatch(/key "x1" must be a public key/);
    expect(found).not.toContain(own.privateKeyPem.split('\n')[1]!);
  });

  it('refuses trusted keys that are not JSON, and a bad key id', () => {
    expect(problems({ ...valid, MESSAGE_TRUSTED_KEYS: 'rs-1=abc' })).toMatch(/MESSAGE_TRUSTED_KEYS is not JSON/);
    expect(problems({ ...valid, MESSAGE_SIGNING_KEY_ID: 'has space' })).toMatch(/MESSAGE_SIGNING_KEY_ID must be 1-64 letters/);
  });

  it('reads the signing key from a file and the trusted keys from a directory of public keys', () => {
    const privateFile = join(dir, 'signing.pem');
    writeFileSync(privateFile, own.privateKeyPem, { mode: 0o600 });
    const trustDir = join(dir, 'trusted');
    mkdirSync(trustDir);
    for (const k of [own, other]) writeFileSync(join(trustDir, trustedKeyFileName(k.producer, k.keyId)), k.publicKeyPem);
    writeFileSync(join(trustDir, 'README'), 'ignored');
    const keys = messageKeys(
      loadConfig(kafkaConfig, { KAFKA_BROKERS: 'k:9092', MESSAGE_SIGNING_KEY_FILE: privateFile, MESSAGE_SIGNING_KEY_ID: 'rs-1', MESSAGE_TRUSTED_KEYS_FILE: trustDir }),
    );
    expect(keys.trusted.get('aps-1')?.producer).toBe('approval-policy-service');
    expect(keys.trusted.size).toBe(2);
  });

  it('names a key file that cannot be read', () => {
    const missing = join(dir, 'nope.pem');
    expect(problems({ ...valid, MESSAGE_SIGNING_KEY: '', MESSAGE_SIGNING_KEY_FILE: missing })).toMatch(/MESSAGE_SIGNING_KEY_FILE names a file that cannot be read/);
    expect(problems({ ...valid, MESSAGE_TRUSTED_KEYS: '', MESSAGE_TRUSTED_KEYS_FILE: missing })).toMatch(/MESSAGE_TRUSTED_KEYS_FILE names a file that cannot be read/);
  });
});
