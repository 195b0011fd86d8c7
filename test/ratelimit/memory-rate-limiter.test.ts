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
});
