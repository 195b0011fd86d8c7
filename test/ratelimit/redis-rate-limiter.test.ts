import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateLimitPolicy } from '../../src/ratelimit/rate-limiter.js';
import { RedisRateLimiter } from '../../src/ratelimit/redis-rate-limiter.js';
import { type CapturedLogs, captureLogs } from '../helpers/log-capture.js';
import {
  createRedisPrefix,
  REDIS_URL,
  servicesAvailable,
  type TestRedisPrefix,
} from '../helpers/services.js';
import { ManualClock, settle } from '../helpers/manual-clock.js';
import { startTcpProxy, targetOf, type TcpProxy } from '../helpers/tcp-proxy.js';
import { describeRateLimiterContract } from './rate-limiter-contract.js';

const available = servicesAvailable('redis');

const connect = (
  prefix: string,
  policy: RateLimitPolicy,
  options: { url?: string; logs?: CapturedLogs; timeoutMs?: number } = {},
) =>
  RedisRateLimiter.connect({
    url: options.url ?? REDIS_URL,
    prefix,
    policy,
    timeoutMs: options.timeoutMs ?? 1_000,
    logger: (options.logs ?? captureLogs('silent')).logger,
    probeIntervalMs: 100,
  });

const eventually = async (check: () => boolean, attempts = 100) => {
  for (let i = 0; i < attempts; i++) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
};

describe.runIf(available)('Redis rate limiter', () => {
  describeRateLimiterContract('Redis', async () => {
    const prefix = createRedisPrefix();
    return {
      create: (policy) => connect(prefix.prefix, policy),
      cleanup: () => prefix.clear(),
    };
  });

  describe('shared by instances', () => {
    let prefix: TestRedisPrefix;
    beforeEach(() => {
      prefix = createRedisPrefix();
    });
    afterEach(() => prefix.clear());

    it('gives a key exactly its limit across every instance, counted in one window', async () => {
      const policy = { limit: 6, windowMs: 60_000 };
      const instances = await Promise.all([1, 2, 3].map(() => connect(prefix.prefix, policy)));
      try {
        const decisions = await Promise.all(
          instances.flatMap((limiter) => [1, 2, 3, 4].map(() => limiter.consume('key_a'))),
        );
        expect(decisions.filter((d) => d.allowed)).toHaveLength(6);
        expect(await prefix.keys()).toEqual([`${prefix.prefix}ratelimit:key_a`]);
      } finally {
        await Promise.all(instances.map((limiter) => limiter.close()));
      }
    });

    it('keeps deployments with different prefixes apart', async () => {
      const other = createRedisPrefix();
      const policy = { limit: 1, windowMs: 60_000 };
      const a = await connect(prefix.prefix, policy);
      const b = await connect(other.prefix, policy);
      try {
        expect((await a.consume('key_a')).allowed).toBe(true);
        expect((await b.consume('key_a')).allowed).toBe(true);
        expect((await a.consume('key_a')).allowed).toBe(false);
      } finally {
        await a.close();
        await b.close();
        await other.clear();
      }
    });
  });

  describe('when Redis fails', () => {
    let prefix: TestRedisPrefix;
    let proxy: TcpProxy;
    let logs: CapturedLogs;
    const policy = { limit: 5, windowMs: 60_000 };

    beforeEach(async () => {
      prefix = createRedisPrefix();
      proxy = await startTcpProxy(targetOf(REDIS_URL));
      logs = captureLogs('info');
    });
    afterEach(async () => {
      await proxy.close();
      await prefix.clear();
    });

    const linesSaying = (start: string) =>
      logs.lines().filter((line) => String(line.msg).startsWith(start));

    it.each(['cut', 'blackhole'] as const)(
      'keeps deciding locally through a %s, logs it once, and shares counts again after',
      async (fault) => {
        const behind = await connect(prefix.prefix, policy, {
          url: proxy.via(REDIS_URL),
          logs,
          timeoutMs: 300,
        });
        const direct = await connect(prefix.prefix, policy);
        try {
          expect(await behind.consume('key_a')).toMatchObject({ allowed: true, remaining: 4 });
          expect(await direct.consume('key_a')).toMatchObject({ allowed: true, remaining: 3 });

          proxy[fault]();
          // Counted by this instance alone, from a window of its own.
          const local = [];
          for (let i = 0; i < 3; i++) local.push(await behind.consume('key_a'));
          expect(local.map((d) => [d.allowed, d.remaining])).toEqual([
            [true, 4],
            [true, 3],
            [true, 2],
          ]);
          expect(linesSaying('Redis unreachable')).toHaveLength(1);
          expect(behind.shared).toBe(false);

          proxy.restore();
          expect(await eventually(() => behind.shared)).toBe(true);
          expect(linesSaying('Redis reachable again')).toHaveLength(1);
          expect(await behind.consume('key_a')).toMatchObject({ allowed: true, remaining: 2 });
          expect(await direct.consume('key_a')).toMatchObject({ allowed: true, remaining: 1 });
        } finally {
          await behind.close();
          await direct.close();
        }
      },
    );

    it.each(['cut', 'blackhole'] as const)(
      'starts counting locally when Redis is behind a %s at start, and joins it later',
      async (fault) => {
        proxy[fault]();
        const behind = await connect(prefix.prefix, policy, {
          url: proxy.via(REDIS_URL),
          logs,
          timeoutMs: 300,
        });
        try {
          expect(behind.shared).toBe(false);
          expect(await behind.consume('key_a')).toMatchObject({ allowed: true, remaining: 4 });
          proxy.restore();
          expect(await eventually(() => behind.shared)).toBe(true);
          expect(await behind.consume('key_a')).toMatchObject({ allowed: true, remaining: 4 });
          expect(await prefix.keys()).toEqual([`${prefix.prefix}ratelimit:key_a`]);
        } finally {
          await behind.close();
        }
      },
    );
  });

  describe('a silent Redis, in the time of an injected clock', () => {
    let prefix: TestRedisPrefix;
    let proxy: TcpProxy;
    beforeEach(async () => {
      prefix = createRedisPrefix();
      proxy = await startTcpProxy(targetOf(REDIS_URL));
    });
    afterEach(async () => {
      await proxy.close();
      await prefix.clear();
    });

    it('holds every request at most the time-out once, also those queued behind the first commands', async () => {
      const TIMEOUT_MS = 30_000;
      const clock = new ManualClock();
      const limiter = await RedisRateLimiter.connect({
        url: proxy.via(REDIS_URL),
        prefix: prefix.prefix,
        policy: { limit: 100, windowMs: 60_000 },
        timeoutMs: TIMEOUT_MS,
        logger: captureLogs('silent').logger,
        probeIntervalMs: 60_000,
        clock,
      });
      try {
        expect((await limiter.consume('key_a')).remaining).toBe(99);
        proxy.blackhole();
        const settled: boolean[] = [];
        const consume = () => {
          const index = settled.push(false) - 1;
          void limiter.consume('key_a').then(() => (settled[index] = true));
        };
        // One turn's checks leave together; the next turn's queue behind them.
        for (let i = 0; i < 15; i++) consume();
        await settle();
        for (let i = 0; i < 15; i++) consume();
        await clock.advance(TIMEOUT_MS - 1);
        expect(settled.filter(Boolean)).toHaveLength(0);
        await clock.advance(1);
        expect(settled.filter(Boolean)).toHaveLength(30);
        // Counted locally from then on, at once.
        expect(limiter.shared).toBe(false);
        expect((await limiter.consume('key_a')).remaining).toBe(100 - 31);
      } finally {
        await limiter.close();
      }
    });
  });
});
