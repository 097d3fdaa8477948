import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';
import { kafkaConnection, kafkaConnectionConfig } from './kafka';

const dir = mkdtempSync(join(tmpdir(), 'kairos-kafka-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWNsaWVudC1rZXk=\n-----END PRIVATE KEY-----\n';
const PASSWORD = 'scram-pa55word-d41f';
const ca = file('ca.pem', CERT);
const cert = file('client.pem', CERT);
const key = file('client.key', KEY);
const passwordFile = file('password', `${PASSWORD}\n`);

const brokers = { KAFKA_BROKERS: 'kafka-1:9093,kafka-2:9093' };

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(kafkaConnectionConfig, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('Kafka connection configuration', () => {
  it('is plaintext without a prefix by default', () => {
    expect(kafkaConnection(loadConfig(kafkaConnectionConfig, brokers))).toEqual({ brokers: ['kafka-1:9093', 'kafka-2:9093'], topicPrefix: '' });
  });

  it('reads TLS (CA, client certificate and key) and a SCRAM password from mounted files', () => {
    const config = loadConfig(kafkaConnectionConfig, {
      ...brokers,
      KAFKA_TOPIC_PREFIX: 'team-a.prod.',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'kairos',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    expect(kafkaConnection(config)).toEqual({
      brokers: ['kafka-1:9093', 'kafka-2:9093'],
      topicPrefix: 'team-a.prod.',
      ssl: { ca: [CERT], cert: CERT, key: KEY },
      sasl: { mechanism: 'scram-sha-512', username: 'kairos', password: PASSWORD },
    });
  });

  it('takes the password and key from variables too, and TLS with the system CAs', () => {
    const config = loadConfig(kafkaConnectionConfig, { ...brokers, KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'kairos', KAFKA_SASL_PASSWORD: PASSWORD });
    expect(kafkaConnection(config)).toMatchObject({ ssl: true, sasl: { mechanism: 'plain', username: 'kairos', password: PASSWORD } });
    const mtls = loadConfig(kafkaConnectionConfig, { ...brokers, KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY: KEY });
    expect(kafkaConnection(mtls).ssl).toEqual({ cert: CERT, key: KEY });
  });

  it('refuses an unknown SASL mechanism and SASL without its user or password', () => {
    expect(problems({ ...brokers, KAFKA_SASL_MECHANISM: 'gssapi' })).toMatch(/KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512/);
    expect(problems({ ...brokers, KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toMatch(/KAFKA_SASL_USERNAME is missing/);
    expect(problems({ ...brokers, KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'kairos' })).toMatch(/KAFKA_SASL_PASSWORD_FILE \(or KAFKA_SASL_PASSWORD\) is missing/);
    expect(problems({ ...brokers, KAFKA_SASL_USERNAME: 'kairos', KAFKA_SASL_PASSWORD: PASSWORD })).toMatch(/KAFKA_SASL_MECHANISM is missing/);
  });

  it('refuses SASL PLAIN over plaintext, which would send the password in clear', () => {
    expect(problems({ ...brokers, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'kairos', KAFKA_SASL_PASSWORD: PASSWORD })).toMatch(/KAFKA_SASL_MECHANISM=plain sends the password in clear/);
  });

  it('refuses a password both in a variable and a file, never echoing it', () => {
    const text = problems({ ...brokers, KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'kairos', KAFKA_SASL_PASSWORD: PASSWORD, KAFKA_SASL_PASSWORD_FILE: passwordFile });
    expect(text).toMatch(/KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set/);
    expect(text).not.toContain(PASSWORD);
  });

  it('names a missing or empty secret file', () => {
    expect(problems({ ...brokers, KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'kairos', KAFKA_SASL_PASSWORD_FILE: join(dir, 'absent') })).toMatch(/KAFKA_SASL_PASSWORD_FILE names a file that cannot be read \(ENOENT\)/);
    expect(problems({ ...brokers, KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'kairos', KAFKA_SASL_PASSWORD_FILE: file('empty', '\n') })).toMatch(/KAFKA_SASL_PASSWORD_FILE is empty/);
  });

  it('refuses TLS files without KAFKA_SSL, a certificate without its key, and files that are not PEM, never echoing a key', () => {
    expect(problems({ ...brokers, KAFKA_SSL_CA_FILE: ca })).toMatch(/KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true/);
    expect(problems({ ...brokers, KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert })).toMatch(/KAFKA_SSL_KEY_FILE \(or KAFKA_SSL_KEY\) is missing/);
    expect(problems({ ...brokers, KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: key })).toMatch(/KAFKA_SSL_CERT_FILE is missing/);
    expect(problems({ ...brokers, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: key })).toMatch(/KAFKA_SSL_CA_FILE must be a PEM certificate file/);
    const badKey = problems({ ...brokers, KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY: 'c2VjcmV0LWNsaWVudC1rZXk=' });
    expect(badKey).toMatch(/KAFKA_SSL_KEY is not a PEM private key/);
    expect(badKey).not.toContain('c2VjcmV0LWNsaWVudC1rZXk');
  });

  it('refuses a topic prefix outside Kafka’s topic alphabet', () => {
    expect(problems({ ...brokers, KAFKA_TOPIC_PREFIX: 'team a/*' })).toMatch(/KAFKA_TOPIC_PREFIX may hold only letters, digits/);
  });
});
