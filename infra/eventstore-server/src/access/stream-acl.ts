import { status } from '@grpc/grpc-js';
import { ProtocolError } from '../grpc/protocol-error';

/**
 * Stream access as EventStoreDB decides it (its legacy ACL policy):
 * - `$admins` may do anything; nobody may write to or delete `$all`;
 * - `$$s` (metadata) is read with `$mr` and written with `$mw` of `s`; a metastream cannot be deleted;
 * - each right comes from the stream's own `$acl`, else from `$settings` (`$userStreamAcl` for user
 *   streams, `$systemStreamAcl` for `$` streams and `$all`), else from the built-in defaults
 *   (everyone for user streams, `$admins` for system streams), key by key;
 * - a role list allows a user named in it, a group the user is in, or anyone when it holds `$all`.
 * Without users (plaintext, no credentials ever arrive) nothing is checked, like EventStoreDB's
 * insecure mode.
 */
export type StreamOperation = 'read' | 'write' | 'delete';
type Right = '$r' | '$w' | '$d' | '$mr' | '$mw';

export interface Principal {
  readonly name: string;
  readonly groups: readonly string[];
}

export interface AclSource {
  /** The `$acl` object of a stream's current metadata, if any. */
  streamAcl(stream: string): unknown;
  /** The data of the last `$settings` event, if any. */
  settings(): unknown;
}

const ADMINS = '$admins';
const EVERYONE = '$all';
const DEFAULT_USER_ACL: Record<Right, readonly string[]> = { $r: [EVERYONE], $w: [EVERYONE], $d: [EVERYONE], $mr: [EVERYONE], $mw: [EVERYONE] };
const DEFAULT_SYSTEM_ACL: Record<Right, readonly string[]> = { $r: [ADMINS], $w: [ADMINS], $d: [ADMINS], $mr: [ADMINS], $mw: [ADMINS] };

export function mayAccess(principal: Principal | null, operation: StreamOperation, stream: string, source: AclSource): boolean {
  if (!principal) return true;
  if (stream === '$all' && operation !== 'read') return false;
  let target = stream;
  let right: Right = operation === 'read' ? '$r' : operation === 'write' ? '$w' : '$d';
  if (stream.startsWith('$$')) {
    if (operation === 'delete') return false;
    target = stream.slice(2);
    right = operation === 'read' ? '$mr' : '$mw';
  }
  if (principal.groups.includes(ADMINS)) return true;
  const system = target.startsWith('$');
  const roles =
    roleList(asObject(source.streamAcl(target))?.[right]) ??
    roleList(asObject(asObject(source.settings())?.[system ? '$systemStreamAcl' : '$userStreamAcl'])?.[right]) ??
    (system ? DEFAULT_SYSTEM_ACL : DEFAULT_USER_ACL)[right];
  return roles.some((role) => role === EVERYONE || role === principal.name || principal.groups.includes(role));
}

export function accessDenied(): ProtocolError {
  return new ProtocolError(status.PERMISSION_DENIED, 'Access denied.', { exception: 'access-denied' });
}

export function assertAccess(principal: Principal | null, operation: StreamOperation, stream: string, source: AclSource): void {
  if (!mayAccess(principal, operation, stream, source)) throw accessDenied();
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A right is a role or a list of roles; anything else counts as not set. */
function roleList(value: unknown): readonly string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}
