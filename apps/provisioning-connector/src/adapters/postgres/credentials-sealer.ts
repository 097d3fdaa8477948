import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const CREDENTIALS_SEALER = Symbol('CREDENTIALS_SEALER');

/**
 * Seals short-lived credentials (AES-256-GCM, the grant id as associated data) for the short time
 * between the grant and the requester fetching them. The store never holds a password in the clear,
 * and a sealed value moved to another grant's row does not open.
 */
export class CredentialsSealer {
  private constructor(private readonly key: Buffer) {}

  static fromConfig(c: { readonly CREDENTIALS_KEY: string; readonly CREDENTIALS_KEY_FILE: string }): CredentialsSealer {
    const text = c.CREDENTIALS_KEY || (c.CREDENTIALS_KEY_FILE ? readFileSync(c.CREDENTIALS_KEY_FILE, 'utf8').trim() : '');
    const key = text ? Buffer.from(text, 'base64') : randomBytes(32);
    if (key.length !== 32) throw new Error('CREDENTIALS_KEY must be 32 bytes, base64');
    return new CredentialsSealer(key);
  }

  seal(grantId: string, secret: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(grantId));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** The secret, or undefined when it was sealed with another key (a restart without CREDENTIALS_KEY) or another grant. */
  open(grantId: string, sealed: Buffer): string | undefined {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
      decipher.setAAD(Buffer.from(grantId));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
