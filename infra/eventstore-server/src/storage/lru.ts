interface Node<K, V> {
  readonly key: K;
  value: V;
  weight: number;
  /** Towards the least recently used end. */
  older: Node<K, V> | null;
  /** Towards the most recently used end. */
  newer: Node<K, V> | null;
}

/**
 * A map that forgets its least recently used entries beyond `capacity` (by count or by weight).
 * Every operation is O(1): the order is a doubly linked list beside the map. (Finding the oldest
 * entry by iterating the Map from its start is not: V8 leaves a hole for every deleted entry until
 * the table is rebuilt, and the iteration walks them, which made a full 100,000-entry cache cost
 * about half a millisecond per insert.)
 */
export class Lru<K, V> {
  private readonly map = new Map<K, Node<K, V>>();
  private oldest: Node<K, V> | null = null;
  private newest: Node<K, V> | null = null;
  private weight = 0;

  constructor(
    private readonly capacity: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const node = this.map.get(key);
    if (node === undefined) return undefined;
    this.unlink(node);
    this.pushNewest(node);
    return node.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const w = this.weigh(value);
    if (w > this.capacity) return;
    const node: Node<K, V> = { key, value, weight: w, older: null, newer: null };
    this.map.set(key, node);
    this.pushNewest(node);
    this.weight += w;
    while (this.weight > this.capacity && this.oldest) this.delete(this.oldest.key);
  }

  delete(key: K): void {
    const node = this.map.get(key);
    if (node === undefined) return;
    this.map.delete(key);
    this.unlink(node);
    this.weight -= node.weight;
  }

  clear(): void {
    this.map.clear();
    this.oldest = null;
    this.newest = null;
    this.weight = 0;
  }

  get size(): number {
    return this.map.size;
  }

  private unlink(node: Node<K, V>): void {
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    node.older = null;
    node.newer = null;
  }

  private pushNewest(node: Node<K, V>): void {
    node.older = this.newest;
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
  }
}
