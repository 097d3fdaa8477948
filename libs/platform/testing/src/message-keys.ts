import { randomBytes } from 'node:crypto';
import { generateMessageKey, trustedKeysDocument, type GeneratedMessageKey } from '@kairos/config';
import { MESSAGE_PRODUCERS, type MessageProducer } from '@kairos/contracts';

export interface TestMessageKeys {
  /** Each producer's key pair. */
  readonly keys: Readonly<Record<MessageProducer, GeneratedMessageKey>>;
  /** The variables a service reads: its own signing key and every producer's public key. */
  env(service: MessageProducer): { MESSAGE_SIGNING_KEY: string; MESSAGE_SIGNING_KEY_ID: string; MESSAGE_TRUSTED_KEYS: string };
}

/** Fresh keys for every producer, and a trust set holding all of them. */
export function generateTestMessageKeys(): TestMessageKeys {
  const suffix = randomBytes(3).toString('hex');
  const keys = Object.fromEntries(MESSAGE_PRODUCERS.map((producer) => [producer, generateMessageKey(producer, `${producer}-${suffix}`)])) as Record<
    MessageProducer,
    GeneratedMessageKey
  >;
  const trusted = trustedKeysDocument(Object.values(keys));
  return {
    keys,
    env: (service) => ({ MESSAGE_SIGNING_KEY: keys[service].privateKeyPem, MESSAGE_SIGNING_KEY_ID: keys[service].keyId, MESSAGE_TRUSTED_KEYS: trusted }),
  };
}

let shared: TestMessageKeys | undefined;

/** The test file's keys (jest gives each file its own modules, so each file has fresh ones). */
export const testMessageKeys = (): TestMessageKeys => (shared ??= generateTestMessageKeys());

/** The message key variables of `service` for this test file. */
export const messageKeysEnv = (service: MessageProducer) => testMessageKeys().env(service);
