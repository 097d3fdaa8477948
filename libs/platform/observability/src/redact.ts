/**
 * The one scrubber of credentials in free text (error messages, failure reasons, log lines). It
 * removes, wherever they appear in a string:
 * - the userinfo (`user:password@`), the query string and the fragment of any URL
 *   (`https://user:pw@host/path?token=…` → `https://***@host/path?***`);
 * - the values of credential-like headers and fields (`authorization: Bearer …`, `cookie=…`,
 *   `"x-api-key":"…"`, `password=…`, `token=…`, `secret=…`);
 * - bare `Bearer …` / `Basic …` credentials.
 * What is left is safe to put in an event, on Kafka, in an HTTP error body or in a log.
 */
export const REDACTED = '***';

// scheme://[userinfo@]host[/path][?query][#fragment] — stops at whitespace, quotes and brackets.
const URL_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>()[\]{}]*)/gi;

const SECRET_KEYS =
  '(?:proxy-)?authorization|set-cookie|cookie|x-api-key|api[-_]?key|x-auth-token|auth[-_]?token|access[-_]?token|refresh[-_]?token|client[-_]?secret|private[-_]?key|password|passwd|pwd|secret|token|sig|signature|x-kairos-signature';

// key: value / key=value / "key":"value" / 'key': 'value' — the value ends at a quote, a comma, a semicolon or a line end
// (a header value such as "Bearer abc" keeps its spaces; a query value stops at &).
const KEY_VALUE_PATTERN = new RegExp(
  `(["']?\\b(?:${SECRET_KEYS})\\b["']?\\s*[:=]\\s*)(?:"((?:[^"\\\\]|\\\\.)*)"|'([^']*)'|([^\\s,;&"'}]+(?:[ \\t]+[^\\s,;&"'}]+)?))`,
  'gi',
);

const SECRET_KEY = new RegExp(`^(?:${SECRET_KEYS})$`, 'i');

const SCHEME_CREDENTIAL_PATTERN = /\b(Bearer|Basic|Digest|Token)\s+[A-Za-z0-9._~+/=-]{6,}/g;

function redactUrl(scheme: string, rest: string): string {
  let value = rest;
  const at = value.indexOf('@');
  const slash = value.search(/[/?#]/);
  if (at >= 0 && (slash < 0 || at < slash)) value = `${REDACTED}@${value.slice(at + 1)}`;
  const cut = value.search(/[?#]/);
  if (cut >= 0) value = `${value.slice(0, cut)}?${REDACTED}`;
  return `${scheme}${value}`;
}

export function redactSecrets(text: string): string {
  if (!text) return text;
  return text
    .replace(URL_PATTERN, (_m, scheme: string, rest: string) => redactUrl(scheme, rest))
    .replace(KEY_VALUE_PATTERN, (_m, key: string, dq?: string, sq?: string) => {
      if (dq !== undefined) return `${key}"${REDACTED}"`;
      if (sq !== undefined) return `${key}'${REDACTED}'`;
      return `${key}${REDACTED}`;
    })
    .replace(SCHEME_CREDENTIAL_PATTERN, (_m, scheme: string) => `${scheme} ${REDACTED}`);
}

/** The message of anything thrown, scrubbed. */
export function safeErrorMessage(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

/** Scrubs every string inside a value (objects and arrays are copied, other values kept). */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== 'boolean' ? REDACTED : redactDeep(v, depth + 1);
  }
  return out as T;
}
