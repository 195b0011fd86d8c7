/**
 * A Map with a size bound: when full, the oldest entry makes room. Hits do not reorder entries,
 * which keeps the hot path to one Map lookup; with bounds far above the working set (every key
 * and resource of a deployment), first-in-first-out eviction is as good as least-recently-used.
 * Every cache on the request path is one of these, so memory stays flat under any key or id mix.
 *
 * The insertion order is kept in a ring of keys beside the Map, so that finding the oldest entry
 * is one array read. Asking the Map for its first key instead walks past every entry deleted
 * since its last rehash: under steady eviction (a stream of never-seen keys, as brute force
 * sends) that cost grew with the bound, to about 7 µs per insert at 10 000 entries.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #max: number;
  /** Keys in insertion order; once the cache is full, a ring whose oldest key is at `#oldest`. */
  #order: K[] = [];
  #oldest = 0;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`a cache needs room for at least one entry, not ${max}`);
    }
    this.#max = max;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    if (!this.#entries.has(key)) {
      if (this.#order.length < this.#max) {
        this.#order.push(key);
      } else {
        this.#entries.delete(this.#order[this.#oldest] as K);
        this.#order[this.#oldest] = key;
        this.#oldest = (this.#oldest + 1) % this.#max;
      }
    }
    this.#entries.set(key, value);
  }

  clear(): void {
    this.#entries.clear();
    this.#order = [];
    this.#oldest = 0;
  }

  get size(): number {
    return this.#entries.size;
  }
}
