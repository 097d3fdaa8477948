/**
 * A Bloom filter over 53-bit stream-name hashes (`streamHash`): one per sealed log segment, so that
 * looking up a stream skips every segment whose filter says it holds none of the stream's records.
 * It never answers "no" for a hash that was added (no false negatives); a "yes" may be wrong (about
 * 1 % or less at the sizes used here) and only costs a read of the segment's index file.
 *
 * Layout: a power-of-two number of bits (at least 10 per key, so 10–20 bits, 1.25–2.5 bytes, per
 * key), 7 probes by double hashing: probe i is `(a + i·b) mod bits`, `a` the low 32 bits of the
 * hash, `b` its high 21 bits made odd (so the 7 probes are distinct bits).
 */
export class BloomFilter {
  static readonly PROBES = 7;
  static readonly BITS_PER_KEY = 10;

  private readonly mask: number;

  constructor(
    /** The bits, 32 to a word; the word count is a power of two. */
    readonly words: Uint32Array,
    readonly probes: number = BloomFilter.PROBES,
  ) {
    const count = words.length;
    if (count === 0 || (count & (count - 1)) !== 0) throw new Error('a Bloom filter needs a power-of-two number of words');
    if (!Number.isInteger(probes) || probes < 1 || probes > 32) throw new Error('a Bloom filter needs 1..32 probes');
    this.mask = count * 32 - 1;
  }

  /** An empty filter sized for `keys` distinct keys. */
  static forKeys(keys: number): BloomFilter {
    const bits = Math.max(64, keys * BloomFilter.BITS_PER_KEY);
    let words = 2;
    while (words * 32 < bits) words *= 2;
    return new BloomFilter(new Uint32Array(words));
  }

  /** A filter holding exactly these hashes (repeats are fine). */
  static of(hashes: Iterable<number>, distinct: number): BloomFilter {
    const filter = BloomFilter.forKeys(distinct);
    for (const hash of hashes) filter.add(hash);
    return filter;
  }

  get byteLength(): number {
    return this.words.byteLength;
  }

  add(hash: number): void {
    let at = hash >>> 0;
    const step = Math.floor(hash / 4294967296) | 1;
    for (let i = 0; i < this.probes; i++) {
      const bit = at & this.mask;
      this.words[bit >>> 5] |= 1 << (bit & 31);
      at = (at + step) >>> 0;
    }
  }

  mightContain(hash: number): boolean {
    let at = hash >>> 0;
    const step = Math.floor(hash / 4294967296) | 1;
    for (let i = 0; i < this.probes; i++) {
      const bit = at & this.mask;
      if ((this.words[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
      at = (at + step) >>> 0;
    }
    return true;
  }
}
