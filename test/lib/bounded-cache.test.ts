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
});
