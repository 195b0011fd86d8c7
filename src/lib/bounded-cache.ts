/**
 * A Map with a size bound: when full, the oldest entry makes room. Hits do not reorder entries,
 * which keeps the hot path to one Map lookup; with bounds far above the working set (every key
 * and resource of a deployment), first-in-first-out eviction is as good as least-recently-used.
 * Every cache on the request path is one of these, so memory stays flat under any key or id mix.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
