import {
  escapeTextForPostgres,
  isTransientDatabaseError,
  restoreFromPostgres,
  sanitizeForPostgres,
  toPostgresJson,
  unescapeTextFromPostgres,
} from './pg-text';

/** A JSON escape (an odd run of backslashes) jsonb refuses: \u0000 or a surrogate. */
const UNSAFE_JSON = /(?<!\\)(\\\\)*\\u(0000|d[89a-f])/i;
const hasNulOrLoneSurrogate = (s: string) => s.includes('\u0000') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('text escaped for PostgreSQL', () => {
  it('shows a NUL and a lone surrogate visibly', () => {
    expect(escapeTextForPostgres('need\u0000db')).toBe('need\\u0000db');
    expect(escapeTextForPostgres('x\uD800y')).toBe('x\\ud800y');
    expect(escapeTextForPostgres('x\uDFFF')).toBe('x\\udfff');
  });

  it('leaves ordinary text, paths with backslashes and surrogate pairs untouched (same string)', () => {
    for (const s of ['read access for the incident', 'C:\\temp\\new', 'emoji \uD83D\uDE00 ok', '\\', 'caf\u00e9']) {
      expect(escapeTextForPostgres(s)).toBe(s);
      expect(unescapeTextFromPostgres(s)).toBe(s);
    }
  });

  it('keeps text that already reads like an escape distinct from an escaped NUL', () => {
    const literal = 'the bytes \\u0000 as typed';
    const real = 'the bytes \u0000 as typed';
    expect(escapeTextForPostgres(literal)).not.toBe(escapeTextForPostgres(real));
    expect(unescapeTextFromPostgres(escapeTextForPostgres(literal))).toBe(literal);
    expect(unescapeTextFromPostgres(escapeTextForPostgres(real))).toBe(real);
    expect(unescapeTextFromPostgres(escapeTextForPostgres('\\\u0000'))).toBe('\\\u0000');
    expect(unescapeTextFromPostgres(escapeTextForPostgres('\\\\u00ff\uDC00'))).toBe('\\\\u00ff\uDC00');
  });

  it('round-trips any string of awkward characters, and the escaped form holds nothing PostgreSQL refuses', () => {
    const alphabet = ['\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\\', 'u', '0', 'd', '8', 'a', 'F', 'x', '\uD83D\uDE00', '"'];
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let n = 0; n < 5_000; n++) {
      let s = '';
      const length = next() % 16;
      for (let i = 0; i < length; i++) s += alphabet[next() % alphabet.length];
      const escaped = escapeTextForPostgres(s);
      expect(hasNulOrLoneSurrogate(escaped)).toBe(false);
      expect(UNSAFE_JSON.test(JSON.stringify(escaped))).toBe(false);
      expect(unescapeTextFromPostgres(escaped)).toBe(s);
    }
  });

  it('sanitizes every string and key of a JSON value, and returns the same object when nothing needs it', () => {
    const clean = { a: ['x', { b: 'y' }], n: 1, z: null };
    expect(sanitizeForPostgres(clean)).toBe(clean);
    const dirty = { justification: 'a\u0000b', items: [{ comment: '\uD800' }], ['k\u0000']: true };
    const sanitized = sanitizeForPostgres(dirty);
    expect(sanitized).toEqual({ justification: 'a\\u0000b', items: [{ comment: '\\ud800' }], 'k\\u0000': true });
    expect(UNSAFE_JSON.test(toPostgresJson(dirty))).toBe(false);
    expect(restoreFromPostgres(sanitized)).toEqual(dirty);
  });

  it('copies from the first string that changes, keeping key order, the values before it and holes', () => {
    const value = { a: 1, b: ['x', 'y\u0000', 'z'], c: { d: 'ok', e: '\uDC00' }, f: 'last' };
    const sanitized = sanitizeForPostgres(value) as typeof value;
    expect(JSON.stringify(sanitized)).toBe('{"a":1,"b":["x","y\\\\u0000","z"],"c":{"d":"ok","e":"\\\\udc00"},"f":"last"}');
    expect(value.b[1]).toBe('y\u0000');
    const holey = ['a\u0000', , 'b'];
    const out = sanitizeForPostgres(holey);
    expect(out).toHaveLength(3);
    expect(1 in out).toBe(false);
  });

  it('gives the JSON of the sanitized value, taking the plain JSON only when nothing needs escaping', () => {
    for (const value of [
      { plain: 'text', n: 1.5, nested: [{ é: '😀' }], t: true, z: null },
      { reads: 'C:\\users\\u0041' },
      { nul: 'a\u0000' },
      { lone: ['\uD800x'] },
      { ['key\u0000']: 1 },
      { control: '\u0001 is escaped by JSON but kept' },
      'top-level \uDFFF',
      undefined,
      null,
    ])
      expect(toPostgresJson(value)).toBe(JSON.stringify(sanitizeForPostgres(value) ?? null));
  });
});

describe('transient database failures', () => {
  it('calls an outage transient', () => {
    expect(isTransientDatabaseError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientDatabaseError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isTransientDatabaseError(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(true);
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientDatabaseError({ message: 'query failed', driverError: { code: '08006' } })).toBe(true);
  });

  it('calls a refused value or a broken constraint poison', () => {
    expect(isTransientDatabaseError(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }))).toBe(false);
    expect(isTransientDatabaseError(Object.assign(new Error('date/time field value out of range'), { code: '22008' }))).toBe(false);
    expect(isTransientDatabaseError(Object.assign(new Error('null value in column'), { code: '23502' }))).toBe(false);
    expect(isTransientDatabaseError(new TypeError("Cannot read properties of undefined (reading 'items')"))).toBe(false);
    expect(isTransientDatabaseError(undefined)).toBe(false);
  });
});
