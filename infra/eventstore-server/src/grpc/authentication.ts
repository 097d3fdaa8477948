import { status, type Metadata } from '@grpc/grpc-js';
import { timingSafeEqual } from 'node:crypto';
import { ProtocolError } from './protocol-error';

export type Users = Readonly<Record<string, string>>;

/**
 * Basic credentials are only ever sent over TLS, so they are only checked there. With TLS, a
 * caller must present a known user: anonymous callers are refused rather than silently trusted.
 */
export function authenticate(metadata: Metadata, users: Users | null): void {
  if (!users) return;
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
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
