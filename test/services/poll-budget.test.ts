import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter.js';
import { PollBudget } from '../../src/services/poll-budget.js';

describe('the poll budget of the follower', () => {
  it('lets so many calls to a provider be in flight at once, and no more', async () => {
    const budget = new PollBudget({
      perMinute: new MemoryRateLimiter({ limit: 100, windowMs: 60_000 }),
      concurrency: 2,
    });
    const first = await budget.acquire('pve');
    const second = await budget.acquire('pve');
    expect([first.granted, second.granted]).toEqual([true, true]);
    expect((await budget.acquire('pve')).granted).toBe(false);
    // Another provider has a budget of its own.
    expect((await budget.acquire('panel')).granted).toBe(true);
    if (first.granted) first.release();
    if (first.granted) first.release(); // twice is once
    expect((await budget.acquire('pve')).granted).toBe(true);
    expect((await budget.acquire('pve')).granted).toBe(false);
  });

  it('counts calls per minute, and says when the next may go', async () => {
    let now = 1_000_000;
    const budget = new PollBudget({
      perMinute: new MemoryRateLimiter({ limit: 2, windowMs: 60_000 }, () => now),
      concurrency: 10,
      now: () => now,
    });
    for (let i = 0; i < 2; i++) {
      const slot = await budget.acquire('panel');
      expect(slot.granted).toBe(true);
      if (slot.granted) slot.release();
    }
    const denied = await budget.acquire('panel');
    expect(denied).toEqual({ granted: false, retryAt: now + 60_000 });
    now += 60_000;
    expect((await budget.acquire('panel')).granted).toBe(true);
  });

  it('calls nothing while a provider has asked to wait (Retry-After)', async () => {
    let now = 5_000;
    const budget = new PollBudget({
      perMinute: new MemoryRateLimiter({ limit: 100, windowMs: 60_000 }, () => now),
      concurrency: 10,
      now: () => now,
    });
    budget.pause('panel', 3_000);
    budget.pause('panel', 1_000); // a shorter wait does not cut the longer one
    expect(await budget.acquire('panel')).toEqual({ granted: false, retryAt: 8_000 });
    now = 8_000;
    expect((await budget.acquire('panel')).granted).toBe(true);
  });
});
