import { crc32c } from './crc32c';

describe('crc32c', () => {
  it('matches the Castagnoli check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
  it('covers only the requested range', () => {
    expect(crc32c(Buffer.from('xx123456789yy'), 2, 11)).toBe(0xe3069283);
  });
});

describe('crc32c over long input', () => {
  it('agrees with the bytewise definition at every length and alignment', () => {
    const bitwise = (b: Uint8Array) => {
      let c = 0xffffffff;
      for (const byte of b) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff));
    for (let len = 0; len < 40; len++) for (let off = 0; off < 9; off++) expect(crc32c(data, off, off + len)).toBe(bitwise(data.subarray(off, off + len)));
    expect(crc32c(data)).toBe(bitwise(data));
  });
});
