import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../src/lib/bounded-cache.js';

describe('BoundedCache', () => {
  it('never holds more than its bound, evicting the oldest entry', () => {
    const cache = new BoundedCache<number, string>(3);
    for (let i = 0; i < 10; i++) cache.set(i, `v${i}`);
    expect(cache.size).toBe(3);
    expect([cache.get(6), cache.get(7), cache.get(8), cache.get(9)]).toEqual([
      undefined,
      'v7',
      'v8',
      'v9',
    ]);
  });

  it('replaces a value in place without evicting anything', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    expect([cache.get('a'), cache.get('b'), cache.size]).toEqual([3, 2, 2]);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('keeps evicting in insertion order over many rounds of the ring, and after a clear', () => {
    const cache = new BoundedCache<string, number>(4);
    for (let i = 0; i < 1_003; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(4);
    expect([999, 1_000, 1_001, 1_002].map((i) => cache.get(`k${i}`))).toEqual([
      999, 1_000, 1_001, 1_002,
    ]);
    expect(cache.get('k998')).toBeUndefined();

    // A replaced value keeps its place in the order: it is still the oldest.
    cache.set('k999', -1);
    cache.set('new', 0);
    expect([cache.get('k999'), cache.get('k1000'), cache.size]).toEqual([undefined, 1_000, 4]);

    cache.clear();
    for (const key of ['a', 'b', 'c', 'd', 'e']) cache.set(key, 1);
    expect(['a', 'b', 'c', 'd', 'e'].map((key) => cache.get(key))).toEqual([undefined, 1, 1, 1, 1]);
  });

  it('refuses a bound with no room', () => {
    expect(() => new BoundedCache(0)).toThrow(RangeError);
    expect(() => new BoundedCache(1.5)).toThrow(RangeError);
  });
});
