import { createHash, createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import { CE_HEADERS, producerOfTopic } from '@kairos/contracts';
import type { MessageKeys, TrustedKey } from '@kairos/config';

export const SIGNATURE_HEADER = 'x-kairos-signature';
export const KEY_ID_HEADER = 'x-kairos-key-id';
const SCHEME = 'kairos-message-v1';

/** A Kafka record as it travels: what the signature covers is read from exactly these bytes. */
export interface SignableRecord {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: IHeaders;
}

/** Why a message was refused before anything read it. */
export type AuthenticationRefusal = 'unsigned' | 'unknown_key' | 'bad_signature' | 'wrong_producer';

export type Authentication =
  | { readonly ok: true; readonly producer: string; readonly keyId: string }
  | { readonly ok: false; readonly refusal: AuthenticationRefusal; readonly reason: string; readonly keyId?: string };

const SIGNED_HEADERS = [CE_HEADERS.id, CE_HEADERS.type, CE_HEADERS.source, CE_HEADERS.subject, CE_HEADERS.time] as const;

type HeaderRead = { ok: true; value: string | undefined } | { ok: false; name: string };

function single(headers: IHeaders | undefined, name: string): HeaderRead {
  const value = headers?.[name];
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (Array.isArray(value)) {
    // Two values for one header: the signer saw one, a reader might take the other.
    if (value.length !== 1) return { ok: false, name };
    return { ok: true, value: value[0]?.toString() };
  }
  return { ok: true, value: value.toString() };
}

const bytes = (value: Buffer | string | null | undefined): Buffer =>
  value === null || value === undefined ? Buffer.alloc(0) : Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');

/**
 * The signed statement: the scheme, the key id, the topic, the record key, the CloudEvents
 * attributes and the SHA-256 of the value, as a JSON array so no field can bleed into the next.
 * The topic is in it, so a genuine message copied to another topic does not verify there.
 */
function statement(keyId: string, topic: string, record: SignableRecord, attributes: readonly (string | undefined)[]): Buffer {
  const key = record.key === null || record.key === undefined ? null : bytes(record.key).toString('utf8');
  const digest = createHash('sha256').update(bytes(record.value)).digest('hex');
  return Buffer.from(JSON.stringify([SCHEME, keyId, topic, key, ...attributes.map((a) => a ?? null), digest]), 'utf8');
}

function signedAttributes(headers: IHeaders | undefined): { ok: true; values: (string | undefined)[] } | { ok: false; name: string } {
  const values: (string | undefined)[] = [];
  for (const name of SIGNED_HEADERS) {
    const read = single(headers, name);
    if (!read.ok) return read;
    values.push(read.value);
  }
  return { ok: true, values };
}

/** Signs outgoing records with this service's key. */
export class MessageSigner {
  constructor(
    readonly keyId: string,
    private readonly privateKey: KeyObject,
  ) {
    if (privateKey.asymmetricKeyType !== 'ed25519' || privateKey.type !== 'private') throw new Error('a message signing key must be an Ed25519 private key');
  }

  static of(key: { readonly keyId: string; readonly privateKeyPem: string }): MessageSigner {
    return new MessageSigner(key.keyId, createPrivateKey(key.privateKeyPem));
  }

  /** The headers to add to `record` (already carrying its CloudEvents headers) on `topic`. */
  signatureHeaders(topic: string, record: SignableRecord): Record<string, string> {
    const attributes = signedAttributes(record.headers);
    if (!attributes.ok) throw new Error(`cannot sign a record with header ${attributes.name} repeated`);
    const signature = sign(null, statement(this.keyId, topic, record, attributes.values), this.privateKey);
    return { [KEY_ID_HEADER]: this.keyId, [SIGNATURE_HEADER]: signature.toString('base64') };
  }
}

/**
 * Accepts a record only when it is signed by a trusted key and that key belongs to the one
 * producer allowed on the topic (contracts' PRODUCER_OF_TOPIC).
 */
export class MessageVerifier {
  constructor(private readonly trusted: ReadonlyMap<string, TrustedKey>) {}

  verify(topic: string, record: SignableRecord): Authentication {
    const keyIdRead = single(record.headers, KEY_ID_HEADER);
    const signatureRead = single(record.headers, SIGNATURE_HEADER);
    if (!keyIdRead.ok || !signatureRead.ok) return { ok: false, refusal: 'bad_signature', reason: 'the signature or key id header appears more than once' };
    const keyId = keyIdRead.value;
    const signature = signatureRead.value;
    if (!keyId || !signature) return { ok: false, refusal: 'unsigned', reason: `the message carries no ${!keyId ? KEY_ID_HEADER : SIGNATURE_HEADER} header` };
    const printable = keyId.replace(/[^\w.-]/g, '?').slice(0, 64);
    const key = this.trusted.get(keyId);
    if (!key) return { ok: false, refusal: 'unknown_key', reason: `key id "${printable}" is not a trusted key`, keyId: printable };
    const attributes = signedAttributes(record.headers);
    if (!attributes.ok) return { ok: false, refusal: 'bad_signature', reason: `header ${attributes.name} appears more than once`, keyId };
    let valid = false;
    try {
      valid = verify(null, statement(keyId, topic, record, attributes.values), key.publicKey, Buffer.from(signature, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) return { ok: false, refusal: 'bad_signature', reason: `the signature by key "${keyId}" does not match the message on ${topic}`, keyId };
    const allowed = producerOfTopic(topic);
    if (key.producer !== allowed) {
      return {
        ok: false,
        refusal: 'wrong_producer',
        reason: allowed
          ? `key "${keyId}" belongs to ${key.producer}, but only ${allowed} may produce on ${topic}`
          : `no service may produce on ${topic}`,
        keyId,
      };
    }
    return { ok: true, producer: key.producer, keyId };
  }
}

/** A service's signer and verifier, made from its configured keys. */
export interface MessageAuthentication {
  readonly signer: MessageSigner;
  readonly verifier: MessageVerifier;
}

export function messageAuthentication(keys: MessageKeys): MessageAuthentication {
  return { signer: new MessageSigner(keys.signing.keyId, keys.signing.privateKey), verifier: new MessageVerifier(keys.trusted) };
}

// The process's Kafka client carries its keys (KafkaModule binds them), so every publisher and
// consumer built on it signs and verifies without each service wiring it again.
const bound = new WeakMap<Kafka, MessageAuthentication>();

export function bindMessageAuthentication(kafka: Kafka, authentication: MessageAuthentication): Kafka {
  bound.set(kafka, authentication);
  return kafka;
}

export function messageAuthenticationOf(kafka: Kafka): MessageAuthentication | undefined {
  return bound.get(kafka);
}

export class MessageAuthenticationMissingError extends Error {
  constructor(what: string) {
    super(`${what} needs message authentication: configure the service's keys (MESSAGE_SIGNING_KEY, MESSAGE_TRUSTED_KEYS) or pass them`);
    this.name = 'MessageAuthenticationMissingError';
  }
}
