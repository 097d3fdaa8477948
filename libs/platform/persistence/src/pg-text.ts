/**
 * Text PostgreSQL cannot hold, and failures that are not the data's fault.
 *
 * PostgreSQL refuses NUL (U+0000) in `text` and `\u0000` in `jsonb`, and refuses a lone UTF-16
 * surrogate in `jsonb` (in `text` the driver silently turns it into U+FFFD). An event store keeps
 * such text as it was written; a read model stores it escaped, visibly and reversibly:
 *
 * - NUL and every lone surrogate become `\uXXXX` (lowercase hex), e.g. `a\u0000b`;
 * - a run of backslashes right before `u` + four hex digits, or before a character escaped this
 *   way, is doubled, so text that already reads like an escape stays distinct.
 *
 * `unescapeTextFromPostgres` turns the result back into the original exactly. Text with neither
 * NUL, nor a lone surrogate, nor `\` + `uXXXX` is left as it is (nearly all text).
 */

/** A quick look first: most text has none of these and needs no closer one. */
const SUSPECT = /[\u0000\uD800-\uDFFF]|\\u[0-9a-fA-F]{4}/;
const ESCAPED = /\\u[0-9a-fA-F]{4}/;

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
const isHexDigit = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const BACKSLASH = 0x5c;

/** Whether the UTF-16 unit at `i` must be escaped: NUL or a surrogate without its partner. */
function mustEscapeAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c === 0) return true;
  if (isHigh(c)) return !(i + 1 < text.length && isLow(text.charCodeAt(i + 1)));
  if (isLow(c)) return !(i > 0 && isHigh(text.charCodeAt(i - 1)));
  return false;
}

/** `u` and four hex digits start at `i`. */
function uEscapeAt(text: string, i: number): boolean {
  if (text.charCodeAt(i) !== 0x75 || i + 5 > text.length) return false;
  for (let k = i + 1; k < i + 5; k++) if (!isHexDigit(text.charCodeAt(k))) return false;
  return true;
}

const hex4 = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;

/** The text as PostgreSQL can store it (see above); the same string when nothing needs escaping. */
export function escapeTextForPostgres(text: string): string {
  if (!SUSPECT.test(text)) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      let j = i;
      while (j < text.length && text.charCodeAt(j) === BACKSLASH) j++;
      const run = text.slice(i, j);
      out += j < text.length && (uEscapeAt(text, j) || mustEscapeAt(text, j)) ? run + run : run;
      i = j;
      continue;
    }
    if (mustEscapeAt(text, i)) out += hex4(c);
    else out += text[i];
    i++;
  }
  return out;
}

/** The inverse of `escapeTextForPostgres`. */
export function unescapeTextFromPostgres(text: string): string {
  if (!ESCAPED.test(text)) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.charCodeAt(i) !== BACKSLASH) {
      out += text[i++];
      continue;
    }
    let j = i;
    while (j < text.length && text.charCodeAt(j) === BACKSLASH) j++;
    const run = j - i;
    if (!uEscapeAt(text, j)) {
      out += text.slice(i, j);
      i = j;
      continue;
    }
    out += '\\'.repeat(Math.floor(run / 2));
    if (run % 2 === 1) {
      out += String.fromCharCode(parseInt(text.slice(j + 1, j + 5), 16));
      i = j + 5;
    } else {
      i = j;
    }
  }
  return out;
}

/** Copies only from the first value that changes: the common case allocates nothing. */
function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) continue; // a hole stays one, as with Array.prototype.map
      const v: unknown = value[i];
      const m = mapStrings(v, map);
      if (!out && m !== v) out = value.slice(0, i);
      if (out) out[i] = m;
    }
    if (out) out.length = value.length;
    return out ?? value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = record[key];
    const k = map(key);
    const m = mapStrings(v, map);
    if (!out && (k !== key || m !== v)) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = record[keys[j]!];
    }
    if (out) out[k] = m;
  }
  return out ?? value;
}

/**
 * Every string (values and object keys) of a JSON-like value escaped for PostgreSQL. Returns the
 * very same value when nothing needed escaping, so the common case costs one scan and no copy.
 */
export function sanitizeForPostgres<T>(value: T): T {
  return mapStrings(value, escapeTextForPostgres) as T;
}

/** The inverse of `sanitizeForPostgres`, for a value read back from PostgreSQL. */
export function restoreFromPostgres<T>(value: T): T {
  return mapStrings(value, unescapeTextFromPostgres) as T;
}

/**
 * `JSON.stringify` of the sanitized value: JSON text `jsonb` always accepts. For a JSON-like value
 * whose plain JSON has no `\u` (NUL and lone surrogates come out as `\u0000`, `\udXXX`; text that
 * reads like an escape as `\\uXXXX`) no string needs escaping, and the plain JSON is the answer.
 */
export function toPostgresJson(value: unknown): string {
  const plain = JSON.stringify(value ?? null);
  if (!plain.includes('\\u')) return plain;
  return JSON.stringify(sanitizeForPostgres(value) ?? null);
}

// Outage vs data errors is decided in one place, shared with the HTTP edge (503) and the consumers.
export { isTransientDatabaseError } from '@kairos/observability';

/** Whether the database answers at all (within `timeoutMs`). */
export async function databaseAnswers(db: { query(sql: string): Promise<unknown> }, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    if (timer) clearTimeout(timer);
  }
}
