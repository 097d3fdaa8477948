import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGE_PRODUCERS, type MessageProducer } from '@kairos/contracts';
import type { ConfigSpec } from './config';

/** The key a service signs its messages with, and the keys (each assigned to one producer) it accepts. */
export interface MessageKeys {
  readonly signing: { readonly keyId: string; readonly privateKey: KeyObject };
  readonly trusted: ReadonlyMap<string, TrustedKey>;
}

export interface TrustedKey {
  readonly producer: MessageProducer;
  readonly publicKey: KeyObject;
}

/** The trust set as operators write it: `{ "<keyId>": { "producer": "<service>", "publicKey": "<PEM>" } }`. */
export type TrustedKeysDocument = Record<string, { producer: string; publicKey: string }>;

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** In a directory of public keys, each file is `<producer>.<keyId>.pem`. */
const TRUSTED_KEY_FILE = /^([a-z][a-z-]*)\.([A-Za-z0-9][A-Za-z0-9_-]{0,63})\.pem$/;

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

// Problems name the variable and the key id, never the key material.
function privateKey(name: string, pem: string): Parsed<KeyObject> {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    return { ok: false, problem: `${name} is not a PEM private key` };
  }
  if (key.asymmetricKeyType !== 'ed25519') return { ok: false, problem: `${name} must be an Ed25519 key, got ${key.asymmetricKeyType ?? 'an unknown type'}` };
  return { ok: true, value: key };
}

function publicKey(where: string, pem: string): Parsed<KeyObject> {
  // createPublicKey would happily derive a public key from a private one: refuse it, it was leaked.
  if (/PRIVATE KEY/.test(pem)) return { ok: false, problem: `${where} must be a public key (a private key must never be shared)` };
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return { ok: false, problem: `${where} is not a PEM public key` };
  }
  if (key.asymmetricKeyType !== 'ed25519') return { ok: false, problem: `${where} must be an Ed25519 key, got ${key.asymmetricKeyType ?? 'an unknown type'}` };
  return { ok: true, value: key };
}

function trustedKey(where: string, keyId: string, producer: unknown, pem: unknown): Parsed<TrustedKey> {
  if (!KEY_ID.test(keyId)) return { ok: false, problem: `${where}: key id "${keyId.slice(0, 64)}" must be 1-64 letters, digits, _ or -` };
  if (typeof producer !== 'string' || !(MESSAGE_PRODUCERS as readonly string[]).includes(producer)) {
    return { ok: false, problem: `${where}: key "${keyId}" must name its producer, one of ${MESSAGE_PRODUCERS.join(', ')}` };
  }
  if (typeof pem !== 'string') return { ok: false, problem: `${where}: key "${keyId}" has no publicKey` };
  const parsed = publicKey(`${where}: key "${keyId}"`, pem);
  return parsed.ok ? { ok: true, value: { producer: producer as MessageProducer, publicKey: parsed.value } } : parsed;
}

function trustedKeysFromJson(where: string, json: string): Parsed<Map<string, TrustedKey>> {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    return { ok: false, problem: `${where} is not JSON of the form {"<keyId>": {"producer": "<service>", "publicKey": "<PEM>"}}` };
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { ok: false, problem: `${where} must be a JSON object keyed by key id` };
  }
  const keys = new Map<string, TrustedKey>();
  for (const [keyId, entry] of Object.entries(document as Record<string, unknown>)) {
    const { producer, publicKey: pem } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const parsed = trustedKey(where, keyId, producer, pem);
    if (!parsed.ok) return parsed;
    keys.set(keyId, parsed.value);
  }
  if (keys.size === 0) return { ok: false, problem: `${where} trusts no key` };
  return { ok: true, value: keys };
}

function trustedKeysFromDirectory(where: string, dir: string): Parsed<Map<string, TrustedKey>> {
  const keys = new Map<string, TrustedKey>();
  for (const file of readdirSync(dir).sort()) {
    const match = TRUSTED_KEY_FILE.exec(file);
    if (!match) continue;
    const [, producer, keyId] = match as unknown as [string, string, string];
    if (keys.has(keyId)) return { ok: false, problem: `${where}: key id "${keyId}" appears twice` };
    const parsed = trustedKey(`${where}/${file}`, keyId, producer, readFileSync(join(dir, file), 'utf8'));
    if (!parsed.ok) return parsed;
    keys.set(keyId, parsed.value);
  }
  if (keys.size === 0) return { ok: false, problem: `${where} holds no <producer>.<keyId>.pem public key` };
  return { ok: true, value: keys };
}

function readText(name: string, path: string): Parsed<string> {
  try {
    return { ok: true, value: readFileSync(path, 'utf8') };
  } catch {
    return { ok: false, problem: `${name} names a file that cannot be read: ${path}` };
  }
}

function signingKeyOf(env: NodeJS.ProcessEnv): Parsed<KeyObject> {
  if (env.MESSAGE_SIGNING_KEY) return privateKey('MESSAGE_SIGNING_KEY', env.MESSAGE_SIGNING_KEY);
  if (!env.MESSAGE_SIGNING_KEY_FILE) {
    return { ok: false, problem: 'MESSAGE_SIGNING_KEY is missing (the PEM Ed25519 key this service signs its messages with; or set MESSAGE_SIGNING_KEY_FILE)' };
  }
  const text = readText('MESSAGE_SIGNING_KEY_FILE', env.MESSAGE_SIGNING_KEY_FILE);
  return text.ok ? privateKey('MESSAGE_SIGNING_KEY_FILE', text.value) : text;
}

function trustedKeysOf(env: NodeJS.ProcessEnv): Parsed<Map<string, TrustedKey>> {
  if (env.MESSAGE_TRUSTED_KEYS) return trustedKeysFromJson('MESSAGE_TRUSTED_KEYS', env.MESSAGE_TRUSTED_KEYS);
  const path = env.MESSAGE_TRUSTED_KEYS_FILE;
  if (!path) return { ok: false, problem: 'MESSAGE_TRUSTED_KEYS is missing (the producers\' public keys this service accepts messages from; or set MESSAGE_TRUSTED_KEYS_FILE)' };
  let directory: boolean;
  try {
    directory = statSync(path).isDirectory();
  } catch {
    return { ok: false, problem: `MESSAGE_TRUSTED_KEYS_FILE names a file that cannot be read: ${path}` };
  }
  if (directory) return trustedKeysFromDirectory('MESSAGE_TRUSTED_KEYS_FILE', path);
  const text = readText('MESSAGE_TRUSTED_KEYS_FILE', path);
  return text.ok ? trustedKeysFromJson('MESSAGE_TRUSTED_KEYS_FILE', text.value) : text;
}

const problemOf = (parsed: Parsed<unknown>) => (parsed.ok ? undefined : parsed.problem);

/** Variables of every service that signs and verifies messages (each one on Kafka). */
export const messageKeysConfig = {
  MESSAGE_SIGNING_KEY: {
    type: 'string',
    default: '',
    secret: true,
    description: 'PEM Ed25519 private key this service signs its Kafka messages with (or MESSAGE_SIGNING_KEY_FILE)',
    check: (_value, env) => problemOf(signingKeyOf(env)),
  },
  MESSAGE_SIGNING_KEY_FILE: { type: 'string', default: '', description: 'file holding the PEM signing key (used when MESSAGE_SIGNING_KEY is empty)' },
  MESSAGE_SIGNING_KEY_ID: {
    type: 'string',
    description: "id of the signing key, sent with every message; consumers look it up in their trusted keys",
    check: (value) => (KEY_ID.test(value) ? undefined : 'MESSAGE_SIGNING_KEY_ID must be 1-64 letters, digits, _ or -'),
  },
  MESSAGE_TRUSTED_KEYS: {
    type: 'string',
    default: '',
    description:
      'public keys whose messages this service accepts, JSON `{"<keyId>": {"producer": "<service>", "publicKey": "<PEM>"}}` (or MESSAGE_TRUSTED_KEYS_FILE); a key is accepted only on the topics its producer owns',
    check: (_value, env) => problemOf(trustedKeysOf(env)),
  },
  MESSAGE_TRUSTED_KEYS_FILE: {
    type: 'string',
    default: '',
    description: 'file holding that JSON, or a directory of `<producer>.<keyId>.pem` public keys (used when MESSAGE_TRUSTED_KEYS is empty)',
  },
} as const satisfies ConfigSpec;

type MessageKeysVariables = { readonly [K in keyof typeof messageKeysConfig]?: string } & { readonly MESSAGE_SIGNING_KEY_ID: string };

/** The keys, from a configuration that `loadConfig` accepted (so the material is known to be valid). */
export function messageKeys(config: MessageKeysVariables): MessageKeys {
  const env = { ...config };
  const signing = signingKeyOf(env);
  const trusted = trustedKeysOf(env);
  if (!signing.ok) throw new Error(signing.problem);
  if (!trusted.ok) throw new Error(trusted.problem);
  return { signing: { keyId: config.MESSAGE_SIGNING_KEY_ID, privateKey: signing.value }, trusted: trusted.value };
}

/** The trust set in the JSON form MESSAGE_TRUSTED_KEYS reads. */
export function trustedKeysDocument(keys: readonly { keyId: string; producer: MessageProducer; publicKeyPem: string }[]): string {
  const document: TrustedKeysDocument = {};
  for (const key of keys) document[key.keyId] = { producer: key.producer, publicKey: key.publicKeyPem };
  return JSON.stringify(document);
}

/** The file name a public key has in a MESSAGE_TRUSTED_KEYS_FILE directory. */
export const trustedKeyFileName = (producer: MessageProducer, keyId: string): string => `${producer}.${keyId}.pem`;

export interface GeneratedMessageKey {
  readonly producer: MessageProducer;
  readonly keyId: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/** A fresh Ed25519 key pair for a producer (the embedded platform and the tests; production brings its own). */
export function generateMessageKey(producer: MessageProducer, keyId: string): GeneratedMessageKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    producer,
    keyId,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
