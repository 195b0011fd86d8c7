import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateLimiter, RateLimitPolicy } from '../../src/ratelimit/rate-limiter.js';

export interface LimiterHarness {
  /** A limiter with this policy, counting apart from every other test. */
  create(policy: RateLimitPolicy): Promise<RateLimiter>;
  cleanup(): Promise<void>;
}

/** The behaviour every `RateLimiter` must show, run against each implementation. */
export const describeRateLimiterContract = (
  name: string,
  open: () => Promise<LimiterHarness>,
): void => {
  describe(`rate limiter contract: ${name}`, () => {
    let harness: LimiterHarness;
    const limiters: RateLimiter[] = [];
    const create = async (policy: RateLimitPolicy) => {
      const limiter = await harness.create(policy);
      limiters.push(limiter);
      return limiter;
    };

    beforeEach(async () => {
      harness = await open();
    });
    afterEach(async () => {
      await Promise.all(limiters.splice(0).map((limiter) => limiter.close()));
      await harness.cleanup();
    });

    it('allows the limit in a window that opens at the first request, then refuses', async () => {
      const limiter = await create({ limit: 3, windowMs: 60_000 });
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await limiter.consume('key_a'));
      expect(decisions.map((d) => [d.allowed, d.limit, d.remaining])).toEqual([
        [true, 3, 2],
        [true, 3, 1],
        [true, 3, 0],
        [false, 3, 0],
        [false, 3, 0],
      ]);
      expect(decisions[0]?.resetSeconds).toBe(60);
      for (const decision of decisions) {
        expect(decision.resetSeconds).toBeGreaterThanOrEqual(1);
        expect(decision.resetSeconds).toBeLessThanOrEqual(60);
      }
    });

    it('keeps a separate budget for every subject', async () => {
      const limiter = await create({ limit: 2, windowMs: 60_000 });
      await limiter.consume('key_a');
      await limiter.consume('key_a');
      expect((await limiter.consume('key_a')).allowed).toBe(false);
      expect(await limiter.consume('key_b')).toMatchObject({ allowed: true, remaining: 1 });
    });

    it('counts concurrent requests exactly', async () => {
      const limiter = await create({ limit: 10, windowMs: 60_000 });
      const decisions = await Promise.all(
        Array.from({ length: 25 }, async () => limiter.consume('key_a')),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
      expect(
        decisions
          .filter((d) => d.allowed)
          .map((d) => d.remaining)
          .sort((a, b) => a - b),
      ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('opens a new window once the current one has passed', async () => {
      const limiter = await create({ limit: 1, windowMs: 300 });
      expect((await limiter.consume('key_a')).allowed).toBe(true);
      expect((await limiter.consume('key_a')).allowed).toBe(false);
      let reopened = false;
      for (let i = 0; i < 40 && !reopened; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const decision = await limiter.consume('key_a');
        reopened = decision.allowed;
        if (reopened) expect(decision.remaining).toBe(0);
      }
      expect(reopened).toBe(true);
    });
  });
};
