import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { identityRoleName } from '../../../domain/names';

/**
 * The LOGIN role of one grant in `credentials` mode: `kairos_jit_<folded identity>_<hash of the
 * grant>`, so a DBA sees whose it is and two grants never share one.
 */
export function credentialLoginName(subjectId: string, grantId: string): string {
  const person = identityRoleName(subjectId).slice('kairos_'.length).replace(/_[0-9a-f]{10}$/, '').slice(0, 30);
  const digest = createHash('sha256').update(`grant:${grantId}`).digest('hex').slice(0, 12);
  return `kairos_jit_${person}_${digest}`;
}

/** 32 random bytes, URL-safe: nothing to escape in a connection string or a shell. */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}

/** What may be shown in place of a password: enough to tell two apart, nothing to log in with. */
export function passwordFingerprint(password: string): string {
  return `sha256:${createHash('sha256').update(password).digest('hex').slice(0, 16)}`;
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677, PostgreSQL's
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`). The connector sends this instead of
 * the password, so the plaintext never reaches the target server — not its statement log, not an
 * error report, not pg_stat_activity.
 */
export function scramVerifier(password: string, iterations = 4096, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
