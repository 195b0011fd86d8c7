import { describe, expect, it } from 'vitest';
import { FailureBudget } from '../../src/auth/failure-budget.js';
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter.js';
import { captureLogs } from '../helpers/log-capture.js';

const budgetAt = (clock: { now: number }, limit = 2) => {
  const now = () => clock.now;
  const logs = captureLogs('info');
  const budget = new FailureBudget({
    counter: new MemoryRateLimiter({ limit, windowMs: 60_000 }, now),
    log: logs.logger,
    summaryIntervalMs: 3_600_000,
    now,
  });
  return { budget, logs };
};

describe('FailureBudget', () => {
  it('refuses an address from the failure that uses its budget up until its window passes', async () => {
    const clock = { now: 1_000_000 };
    const { budget } = budgetAt(clock);
    expect(budget.active).toBe(false);
    void budget.failed('192.0.2.1');
    expect(budget.refusalSeconds('192.0.2.1')).toBe(0);
    void budget.failed('192.0.2.1');
    expect(budget.active).toBe(true);
    expect(budget.refusalSeconds('192.0.2.1')).toBe(60);
    expect(budget.refusalSeconds('192.0.2.2')).toBe(0);
    clock.now += 59_500;
    expect(budget.refusalSeconds('192.0.2.1')).toBe(1);
    clock.now += 500;
    expect(budget.refusalSeconds('192.0.2.1')).toBe(0);
    expect(budget.active).toBe(false);
    // A new window, a new budget.
    void budget.failed('192.0.2.1');
    expect(budget.refusalSeconds('192.0.2.1')).toBe(0);
    await budget.close();
  });

  it('sums failures and refusals up per address, once per interval', async () => {
    const clock = { now: 0 };
    const { budget, logs } = budgetAt(clock, 1);
    void budget.failed('192.0.2.1');
    budget.refusalSeconds('192.0.2.1');
    budget.refusalSeconds('192.0.2.1');
    void budget.failed('2001:db8::1');
    void budget.failed(undefined);
    budget.summarise();
    budget.summarise();
    expect(logs.lines().map((l) => [l.level, l.msg, l.clientIp, l.failed, l.refused])).toEqual([
      ['warn', 'authentication failures: address refused', '192.0.2.1', 1, 2],
      ['info', 'authentication failures', '2001:db8::1', 1, 0],
    ]);
    await budget.close();
  });
});
