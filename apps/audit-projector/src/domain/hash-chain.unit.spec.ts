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
