import { createHash } from 'node:crypto';
import { isSafePostgresRoleName } from '@kairos/contracts';

export class UnsafeNameError extends Error {
  constructor(
    readonly kind: 'target role' | 'subject id',
    readonly value: string,
  ) {
    super(`refusing unsafe ${kind} name ${JSON.stringify(value.slice(0, 80))}`);
    this.name = 'UnsafeNameError';
  }
}

// Target roles come from the catalogue, but they still reach SQL: only plain lower-case identifiers
// pass, never pg_* or kairos_* (the one rule, @kairos/contracts isSafePostgresRoleName).
export function targetRoleName(target: string): string {
  if (!isSafePostgresRoleName(target)) throw new UnsafeNameError('target role', target);
  return target;
}

/**
 * The login-less role standing for an identity in a target database. Anything but [a-z0-9_] is
 * folded to `_`, so a hash of the original id keeps two ids that fold alike apart.
 */
export function identityRoleName(subjectId: string): string {
  if (subjectId.length === 0 || subjectId.length > 256 || /[\u0000-\u001f]/.test(subjectId)) {
    throw new UnsafeNameError('subject id', subjectId);
  }
  const folded = subjectId
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 40);
  const digest = createHash('sha256').update(subjectId).digest('hex').slice(0, 10);
  return `kairos_${folded}_${digest}`;
}
