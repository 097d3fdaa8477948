/**
 * Failures that mean a dependency is down (retry later), as opposed to failures about the data or
 * a bug. One classification for the consumers (block and retry, never dead-letter), the
 * projections (never park) and the HTTP edge (503 with Retry-After, never 500).
 */

/**
 * SQLSTATE classes of failures that say nothing about the data: connection exceptions (08),
 * insufficient resources (53), operator intervention such as a shutdown or a statement timeout
 * (57), system errors (58), and transaction rollbacks (40: serialization failure, deadlock).
 */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const TRANSIENT_SQLSTATES = new Set(['55P03', '55006']);
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const TRANSIENT_MESSAGES = /connection terminated|connection error|terminating connection|timeout exceeded when trying to connect|the database system is (starting up|shutting down)|cannot use a pool after calling end|client has encountered a connection error|connection is not established|not queryable/i;

/**
 * True when a database error is an outage (retry the same work later), false when it is about the
 * data itself (a constraint, an invalid value): then retrying can never help. The `pg` driver's
 * errors carry a SQLSTATE `code`; TypeORM copies it onto its QueryFailedError.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code) {
    if (TRANSIENT_NODE_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
  }
  if (typeof e.message === 'string' && TRANSIENT_MESSAGES.test(e.message)) return true;
  if (e.driverError && e.driverError !== error) return isTransientDatabaseError(e.driverError);
  if (e.cause && e.cause !== error) return isTransientDatabaseError(e.cause);
  return false;
}


const EVENT_STORE_OUTAGES = new Set(['unavailable', 'deadline-exceeded', 'not-leader', 'timeout', 'cancelled']);

/** True when an EventStoreDB client error says the server is down, restarting or not the leader. */
export function isEventStoreOutage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // The client's command errors carry a `type` (its ErrorType); duck-typed so no client is imported here.
  const { type, name, code, details } = error as { type?: unknown; name?: unknown; code?: unknown; details?: unknown };
  if (typeof type === 'string' && typeof name === 'string' && name.endsWith('Error') && EVENT_STORE_OUTAGES.has(type)) return true;
  // A raw gRPC status: 14 UNAVAILABLE, 4 DEADLINE_EXCEEDED.
  return (code === 14 || code === 4) && typeof details === 'string';
}

/** Names the dependency an error says is down, or undefined when it is not an outage. */
export function dependencyOutage(error: unknown): string | undefined {
  if (isTransientDatabaseError(error)) return 'the database';
  if (isEventStoreOutage(error)) return 'the event store';
  return undefined;
}
