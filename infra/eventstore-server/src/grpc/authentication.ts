import { status, type Metadata } from '@grpc/grpc-js';
import { timingSafeEqual } from 'node:crypto';
import type { Principal } from '../access/stream-acl';
import { ProtocolError } from './protocol-error';

export type Users = Readonly<Record<string, string>>;
/** Groups per user name; `admin` is in `$admins` and `ops` in `$ops` unless configured otherwise. */
export type UserGroups = Readonly<Record<string, readonly string[]>>;

export const DEFAULT_GROUPS: UserGroups = { admin: ['$admins'], ops: ['$ops'] };

/**
 * Basic credentials are only ever sent over TLS, so they are only checked there. With TLS, a
 * caller must present a known user: anonymous callers are refused rather than silently trusted.
 * Returns who is calling, or null when there are no users (plaintext: nothing is checked).
 */
export function authenticate(metadata: Metadata, users: Users | null, groups: UserGroups = DEFAULT_GROUPS): Principal | null {
  if (!users) return null;
  const header = metadata.get('authorization')[0];
  if (typeof header !== 'string' || !header.startsWith('Basic ')) {
    throw new ProtocolError(status.PERMISSION_DENIED, 'Access denied.', { exception: 'access-denied' });
  }
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon >= 0 ? decoded.slice(0, colon) : '';
  const password = colon >= 0 ? decoded.slice(colon + 1) : '';
  const expected = Object.prototype.hasOwnProperty.call(users, user) ? users[user] : undefined;
  if (expected === undefined || !sameSecret(password, expected)) {
    throw new ProtocolError(status.UNAUTHENTICATED, 'Bad username or password.');
  }
  const own = Object.prototype.hasOwnProperty.call(groups, user) ? groups[user] : [];
  return { name: user, groups: [...own] };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
