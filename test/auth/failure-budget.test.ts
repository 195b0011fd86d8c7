import { describe, expect, it } from 'vitest';
import { FailureBudget } from '../../src/auth/failure-budget.js';
import { budgetSubject } from '../../src/lib/address-list.js';
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
      ['info', 'authentication failures', '2001:db8:0:0::/64', 1, 0],
    ]);
    await budget.close();
  });

  it('counts an IPv6 address with its /64, and an IPv4 address written as IPv6 as itself', async () => {
    const clock = { now: 0 };
    const { budget } = budgetAt(clock, 2);
    // Two addresses of one /64 use up one budget: the whole network is refused.
    void budget.failed('2001:db8:1:2::a');
    void budget.failed('2001:db8:1:2:ffff:ffff:ffff:ffff');
    expect(budget.refusalSeconds('2001:db8:1:2::77')).toBe(60);
    expect(budget.refusalSeconds('2001:db8:1:3::a')).toBe(0);
    void budget.failed('::ffff:192.0.2.9');
    void budget.failed('192.0.2.9');
    expect(budget.refusalSeconds('192.0.2.9')).toBe(60);
    await budget.close();
  });
});

describe('budgetSubject', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:DB8:a:b:c:d:e:f', '2001:db8:a:b::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.7', '64:ff9b:0:0::/64'],
    ['not an address', 'not an address'],
  ])('%s counts as %s', (address, subject) => {
    expect(budgetSubject(address)).toBe(subject);
  });
});
