import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateMessageKey, trustedKeyFileName } from '@kairos/config';
import { MESSAGE_PRODUCERS, type MessageProducer } from '@kairos/contracts';

/** The message key variables each producing service gets, as files in the data folder. */
export type MessageKeyEnv = Record<MessageProducer, { MESSAGE_SIGNING_KEY_FILE: string; MESSAGE_SIGNING_KEY_ID: string; MESSAGE_TRUSTED_KEYS_FILE: string }>;

/**
 * One Ed25519 key pair per service, made on the first start and kept: private keys in
 * `private/<service>.pem` (mode 0600, folder 0700), public keys in `trusted/<service>.<keyId>.pem`,
 * the directory every service trusts. Production brings its own keys (see ADR 0015).
 */
export function loadOrCreateMessageKeys(dir: string): MessageKeyEnv {
  const privateDir = join(dir, 'private');
  const trustedDir = join(dir, 'trusted');
  mkdirSync(privateDir, { recursive: true, mode: 0o700 });
  chmodSync(privateDir, 0o700);
  mkdirSync(trustedDir, { recursive: true });
  const env = {} as MessageKeyEnv;
  for (const producer of MESSAGE_PRODUCERS) {
    const privateFile = join(privateDir, `${producer}.pem`);
    const published = readdirSync(trustedDir).filter((file) => file.startsWith(`${producer}.`) && file.endsWith('.pem'));
    let keyId = published.length === 1 ? published[0]!.slice(producer.length + 1, -'.pem'.length) : undefined;
    if (!keyId || !existsSync(privateFile) || readFileSync(privateFile, 'utf8').trim() === '') {
      keyId = `${producer}-${randomBytes(4).toString('hex')}`;
      const key = generateMessageKey(producer, keyId);
      for (const stale of published) rmSync(join(trustedDir, stale));
      writeFileSync(privateFile, key.privateKeyPem, { mode: 0o600 });
      writeFileSync(join(trustedDir, trustedKeyFileName(producer, keyId)), key.publicKeyPem, { mode: 0o644 });
    }
    chmodSync(privateFile, 0o600);
    env[producer] = { MESSAGE_SIGNING_KEY_FILE: privateFile, MESSAGE_SIGNING_KEY_ID: keyId, MESSAGE_TRUSTED_KEYS_FILE: trustedDir };
  }
  return env;
}
