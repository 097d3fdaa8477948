import { canonicalJson, chainLink, eventDigest, GENESIS } from './hash-chain';

const event = { id: 'e1', type: 'AccessGranted', revision: 3n, data: { b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } }, metadata: { schemaVersion: 1 } };

describe('the hash chain', () => {
  it('hashes equal data alike whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
    expect(eventDigest(event)).toBe(eventDigest({ ...event, data: { a: { c: 'x', d: [1, { y: null, z: true }] }, b: 1 } }));
  });

  it('changes the digest when the id, type, revision, data or metadata change', () => {
    const base = eventDigest(event);
    for (const changed of [
      { ...event, id: 'e2' },
      { ...event, type: 'AccessRevoked' },
      { ...event, revision: 4n },
      { ...event, data: { ...event.data, b: 2 } },
      { ...event, metadata: { schemaVersion: 2 } },
    ]) {
      expect(eventDigest(changed)).not.toBe(base);
    }
  });

  it('keeps array order significant', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('makes every link depend on the previous one', () => {
    const digest = eventDigest(event);
    expect(chainLink(GENESIS, digest)).not.toBe(chainLink(chainLink(GENESIS, digest), digest));
    expect(chainLink(GENESIS, digest)).toMatch(/^[0-9a-f]{64}$/);
  });
});

/** canonicalJson as first written (map, filter, sort, join): the one-pass version must give the same text. */
function reference(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${reference((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

// Computed with the first version of the chain (createHash, map/filter/sort/join).
const PINNED_DIGEST = 'b95b0a752a7aaaa827f6ccc4001e48c8605525297825bf229cbc82ecf09bbea8';
const PINNED_LINK = '5e209f1dd7691ccd96f4488919a8077b9ae55e61f73f014d245dab3d7710d19c';

describe('the hash chain, unchanged by the one-pass canonical JSON', () => {
  it('keeps the digest and link of chains already recorded', () => {
    const digest = eventDigest(event);
    expect(digest).toBe(PINNED_DIGEST);
    expect(chainLink(GENESIS, digest)).toBe(PINNED_LINK);
  });

  it.each([
    ['sorted and unsorted keys at every level', { b: 1, a: { d: [1, { z: true, y: null }], c: 'x' }, '': 0, B: 2, é: 'é', '10': 1, '9': 2 }],
    ['undefined values and array elements', { a: undefined, b: [undefined, 1], c: { d: undefined } }],
    ['an array with a hole', [1, , 3]],
    ['escapes, surrogates and NUL', { 'k"\\': 'a\u0000b\ud800c\\u0041', emoji: '😀' }],
    ['numbers, booleans, null at the top', 1.5e300],
    ['bytes of metadata that was not JSON', new Uint8Array([0xff, 0, 0x7b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])],
    ['keys out of order at every depth, inside arrays too', { z: [{ y: 1, x: [{ b: 2, a: 1 }] }], a: { d: 1, c: { f: 1, e: 2 } } }],
    ['integer-like keys mixed with others', { b: 1, '10': 2, '2': 3, a: { '0': 'x', '01': 'y', '-1': 'z' } }],
    ['an own __proto__ key, as JSON.parse makes it', JSON.parse('{"b":1,"__proto__":{"y":1,"x":2},"a":0}') as unknown],
    ['a function, a symbol and NaN among the values', { f: () => 1, s: Symbol('s'), n: NaN, i: -Infinity, z: -0 }],
    ['a Date and a class instance', { at: new Date(0), m: new Map([[1, 2]]) }],
    ['a request event', { requestId: 'r-1', items: [{ itemId: 'i-1', resourceId: 'db', role: 'read' }], requester: { kind: 'person', id: 'u' }, at: '2026-01-01T00:00:00Z' }],
  ])('gives the text the first version gave for %s', (_, value) => {
    expect(canonicalJson(value)).toBe(reference(value));
  });
});
