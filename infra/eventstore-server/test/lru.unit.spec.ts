import { Lru } from '../src/storage/lru';

describe('Lru', () => {
  it('forgets the least recently used entry beyond its capacity, a read counting as a use', () => {
    const lru = new Lru<string, number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1);
    lru.set('d', 4);
    expect(lru.get('b')).toBeUndefined();
    expect([lru.get('a'), lru.get('c'), lru.get('d')]).toEqual([1, 3, 4]);
    expect(lru.size).toBe(3);
  });

  it('replaces a value in place and keeps its weight right', () => {
    const lru = new Lru<string, Buffer>(10, (b) => b.length);
    lru.set('a', Buffer.alloc(4));
    lru.set('a', Buffer.alloc(6));
    lru.set('b', Buffer.alloc(4));
    expect(lru.get('a')?.length).toBe(6);
    lru.set('c', Buffer.alloc(5)); // 6 + 4 + 5 > 10: the oldest (b, a was read after it) goes, then a
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBeUndefined();
    expect(lru.get('c')?.length).toBe(5);
    lru.set('huge', Buffer.alloc(11));
    expect(lru.get('huge')).toBeUndefined();
    expect(lru.get('c')?.length).toBe(5);
  });

  it('deletes and clears', () => {
    const lru = new Lru<number, number>(2);
    lru.set(1, 1);
    lru.set(2, 2);
    lru.delete(1);
    lru.set(3, 3);
    expect([lru.get(1), lru.get(2), lru.get(3)]).toEqual([undefined, 2, 3]);
    lru.clear();
    expect(lru.size).toBe(0);
    lru.set(4, 4);
    lru.set(5, 5);
    lru.set(6, 6);
    expect([lru.get(4), lru.get(5), lru.get(6)]).toEqual([undefined, 5, 6]);
  });

  it('keeps exactly the last entries of a long run of inserts into a full cache', () => {
    const lru = new Lru<number, number>(1000);
    for (let i = 0; i < 200_000; i++) lru.set(i, i);
    expect(lru.size).toBe(1000);
    expect(lru.get(198_999)).toBeUndefined();
    expect(lru.get(199_000)).toBe(199_000);
    expect(lru.get(199_999)).toBe(199_999);
  });
});
