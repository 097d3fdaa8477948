import { readFileSync } from 'node:fs';
import type { ConfigSpec } from './config';

/**
 * How a service (or `kairos setup`) reaches a Kafka cluster: bootstrap servers, TLS (a CA, a client
 * certificate and key for mTLS), SASL (PLAIN, SCRAM-SHA-256/512) with the password from a variable
 * or a mounted file, and a prefix put before every topic and consumer group on a shared cluster.
 * Every problem names the variable and never its value: a password or key never reaches a log.
 */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Letters, digits, `.`, `_` and `-` (Kafka's own topic alphabet), at most 100 of them. */
const PREFIX = /^[A-Za-z0-9._-]{0,100}$/;

const isTrue = (raw: string | undefined): boolean => ['true', '1', 'yes'].includes((raw ?? '').toLowerCase());

/** Reads a mounted file, or says what is wrong with it (never its content). */
function readable(name: string, path: string): { ok: true; text: string } | { ok: false; problem: string } {
  try {
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return { ok: false, problem: `${name} names a file that cannot be read (${code}): ${path}` };
  }
}

function pemFile(name: string, path: string, label: RegExp, what: string): string | undefined {
  const read = readable(name, path);
  if (!read.ok) return read.problem;
  return label.test(read.text) ? undefined : `${name} must be a PEM ${what} file (${path})`;
}

function checkPrefix(value: string): string | undefined {
  return PREFIX.test(value) ? undefined : 'KAFKA_TOPIC_PREFIX may hold only letters, digits, ".", "_" and "-" (at most 100)';
}

function checkCa(value: string, env: NodeJS.ProcessEnv): string | undefined {
  if (!value) return undefined;
  if (!isTrue(env.KAFKA_SSL)) return 'KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true';
  return pemFile('KAFKA_SSL_CA_FILE', value, /-----BEGIN CERTIFICATE-----/, 'certificate');
}

function checkCert(value: string, env: NodeJS.ProcessEnv): string | undefined {
  const key = env.KAFKA_SSL_KEY_FILE || env.KAFKA_SSL_KEY;
  if (!value) return key ? 'KAFKA_SSL_CERT_FILE is missing: a client key needs its certificate' : undefined;
  if (!isTrue(env.KAFKA_SSL)) return 'KAFKA_SSL_CERT_FILE is set but KAFKA_SSL is not true';
  if (!key) return 'KAFKA_SSL_KEY_FILE (or KAFKA_SSL_KEY) is missing: a client certificate needs its key';
  return pemFile('KAFKA_SSL_CERT_FILE', value, /-----BEGIN CERTIFICATE-----/, 'certificate');
}

function checkKeyFile(value: string, env: NodeJS.ProcessEnv): string | undefined {
  if (!value) return undefined;
  if (env.KAFKA_SSL_KEY) return 'KAFKA_SSL_KEY_FILE and KAFKA_SSL_KEY are both set: use one';
  return pemFile('KAFKA_SSL_KEY_FILE', value, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key');
}

function checkKey(value: string): string | undefined {
  if (!value) return undefined;
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value) ? undefined : 'KAFKA_SSL_KEY is not a PEM private key';
}

function checkMechanism(value: string, env: NodeJS.ProcessEnv): string | undefined {
  const password = env.KAFKA_SASL_PASSWORD;
  const passwordFile = env.KAFKA_SASL_PASSWORD_FILE;
  if (!value) {
    return env.KAFKA_SASL_USERNAME || password || passwordFile ? 'KAFKA_SASL_MECHANISM is missing: SASL credentials are set but no mechanism' : undefined;
  }
  const mechanism = value.toLowerCase();
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) return `KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, got "${value.slice(0, 32)}"`;
  if (mechanism === 'plain' && !isTrue(env.KAFKA_SSL)) return 'KAFKA_SASL_MECHANISM=plain sends the password in clear: set KAFKA_SSL=true';
  if (!env.KAFKA_SASL_USERNAME) return `KAFKA_SASL_USERNAME is missing (KAFKA_SASL_MECHANISM=${mechanism})`;
  if (password && passwordFile) return 'KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: use one';
  if (!password && !passwordFile) return `KAFKA_SASL_PASSWORD_FILE (or KAFKA_SASL_PASSWORD) is missing (KAFKA_SASL_MECHANISM=${mechanism})`;
  if (passwordFile) {
    const read = readable('KAFKA_SASL_PASSWORD_FILE', passwordFile);
    if (!read.ok) return read.problem;
    if (read.text.trim() === '') return `KAFKA_SASL_PASSWORD_FILE is empty: ${passwordFile}`;
  }
  return undefined;
}

/** The Kafka variables every service on Kafka (and `kairos setup`) reads, message keys aside. */
export const kafkaConnectionConfig = {
  KAFKA_BROKERS: { type: 'list', description: 'Kafka bootstrap servers, comma separated host:port' },
  KAFKA_TOPIC_PREFIX: { type: 'string', default: '', check: checkPrefix, description: 'put before every topic and consumer group name on a shared cluster, e.g. `kairos-prod.`; none when empty' },
  KAFKA_SSL: { type: 'bool', default: false, description: 'connect to Kafka over TLS (the system CAs unless KAFKA_SSL_CA_FILE)' },
  KAFKA_SSL_CA_FILE: { type: 'string', default: '', check: checkCa, description: "PEM file of the CA(s) that signed the brokers' certificates" },
  KAFKA_SSL_CERT_FILE: { type: 'string', default: '', check: checkCert, description: 'PEM client certificate for mutual TLS (with KAFKA_SSL_KEY_FILE)' },
  KAFKA_SSL_KEY_FILE: { type: 'string', default: '', check: checkKeyFile, description: 'PEM file of the client private key for mutual TLS (unencrypted; mount it from your secret store)' },
  KAFKA_SSL_KEY: { type: 'string', default: '', secret: true, check: checkKey, description: 'the client private key as PEM text, instead of KAFKA_SSL_KEY_FILE' },
  KAFKA_SASL_MECHANISM: { type: 'string', default: '', check: checkMechanism, description: `SASL mechanism: ${SASL_MECHANISMS.join(', ')}; no SASL when empty` },
  KAFKA_SASL_USERNAME: { type: 'string', default: '', description: 'SASL user name' },
  KAFKA_SASL_PASSWORD_FILE: { type: 'string', default: '', description: 'file holding the SASL password (preferred: mounted from your secret store)' },
  KAFKA_SASL_PASSWORD: { type: 'string', default: '', secret: true, description: 'the SASL password, instead of KAFKA_SASL_PASSWORD_FILE' },
} as const satisfies ConfigSpec;

/** What a Kafka client needs, secrets read from their files (kafkajs's `KafkaConfig` takes it as is). */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly topicPrefix: string;
  readonly ssl?: true | { readonly ca?: string[]; readonly cert?: string; readonly key?: string };
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
}

type KafkaConnectionValues = {
  readonly KAFKA_BROKERS: readonly string[];
  readonly KAFKA_TOPIC_PREFIX: string;
  readonly KAFKA_SSL: boolean;
  readonly KAFKA_SSL_CA_FILE: string;
  readonly KAFKA_SSL_CERT_FILE: string;
  readonly KAFKA_SSL_KEY_FILE: string;
  readonly KAFKA_SSL_KEY: string;
  readonly KAFKA_SASL_MECHANISM: string;
  readonly KAFKA_SASL_USERNAME: string;
  readonly KAFKA_SASL_PASSWORD_FILE: string;
  readonly KAFKA_SASL_PASSWORD: string;
};

/** The connection from validated configuration (`loadConfig` has checked every file is there). */
export function kafkaConnection(config: KafkaConnectionValues): KafkaConnection {
  const read = (path: string) => readFileSync(path, 'utf8');
  let ssl: KafkaConnection['ssl'];
  if (config.KAFKA_SSL) {
    const ca = config.KAFKA_SSL_CA_FILE ? [read(config.KAFKA_SSL_CA_FILE)] : undefined;
    const cert = config.KAFKA_SSL_CERT_FILE ? read(config.KAFKA_SSL_CERT_FILE) : undefined;
    const key = config.KAFKA_SSL_KEY_FILE ? read(config.KAFKA_SSL_KEY_FILE) : config.KAFKA_SSL_KEY || undefined;
    ssl = ca || cert ? { ...(ca ? { ca } : {}), ...(cert ? { cert, key } : {}) } : true;
  }
  const mechanism = config.KAFKA_SASL_MECHANISM.toLowerCase() as SaslMechanism | '';
  const sasl = mechanism
    ? {
        mechanism,
        username: config.KAFKA_SASL_USERNAME,
        // A file's trailing newline is not part of the password.
        password: config.KAFKA_SASL_PASSWORD_FILE ? read(config.KAFKA_SASL_PASSWORD_FILE).replace(/\r?\n$/, '') : config.KAFKA_SASL_PASSWORD,
      }
    : undefined;
  return { brokers: config.KAFKA_BROKERS, topicPrefix: config.KAFKA_TOPIC_PREFIX, ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}
