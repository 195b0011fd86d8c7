import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter.js';
import { describeRateLimiterContract } from './rate-limiter-contract.js';

describeRateLimiterContract('memory', async () => ({
  create: async (policy) => new MemoryRateLimiter(policy),
  cleanup: async () => undefined,
}));

describe('MemoryRateLimiter', () => {
  let now = 1_000_000;
  const limiter = new MemoryRateLimiter({ limit: 3, windowMs: 60_000 }, () => now);
  afterEach(() => limiter.close());

  it('allows the limit within a window that opens at the first request, then refuses', async () => {
    const decisions = [];
    for (let i = 0; i < 5; i++) {
      decisions.push(limiter.consume('key_a'));
      now += 1_000;
    }
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [false, 0],
    ]);
    expect(decisions.map((d) => d.resetSeconds)).toEqual([60, 59, 58, 57, 56]);
    expect(limiter.consume('key_b').remaining).toBe(2);

    now += 56_000;
    expect(limiter.consume('key_a')).toMatchObject({
      allowed: true,
      remaining: 2,
      resetSeconds: 60,
    });
  });

  it('holds at most so many subjects: while full, new ones share one budget, counted ones keep theirs', async () => {
    let at = 0;
    const small = new MemoryRateLimiter({ limit: 2, windowMs: 60_000 }, () => at, 3);
    try {
      for (const subject of ['a', 'b', 'c']) expect(small.consume(subject).allowed).toBe(true);
      // Full of live windows: d, e and f are counted together.
      expect(['d', 'e', 'f'].map((subject) => small.consume(subject).allowed)).toEqual([
        true,
        true,
        false,
      ]);
      // b and c are still counted on their own; a, the oldest, gave its place to the shared
      // window, and is counted in it now.
      expect(small.consume('b')).toMatchObject({ allowed: true, remaining: 0 });
      expect(small.consume('c')).toMatchObject({ allowed: true, remaining: 0 });
      expect(small.consume('a').allowed).toBe(false);
      // Once the windows have passed, new subjects get places of their own again.
      at += 60_000;
      expect(small.consume('g')).toMatchObject({ allowed: true, remaining: 1 });
      expect(small.consume('g')).toMatchObject({ allowed: true, remaining: 0 });
    } finally {
      await small.close();
    }
  });
});
