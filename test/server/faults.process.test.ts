import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliJson } from '../helpers/cli.js';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import {
  createRedisPrefix,
  createTestSchema,
  REDIS_URL,
  servicesAvailable,
  type TestRedisPrefix,
  type TestSchema,
} from '../helpers/services.js';
import { startTcpProxy, targetOf, type TcpProxy } from '../helpers/tcp-proxy.js';

const STORE_TIMEOUT_MS = 1_000;
const LIMIT = 20;

interface Answer {
  readonly requestId: string;
  readonly status: number;
  readonly body: string;
  readonly remaining: string | null;
}

/** Polls `check` every 100 ms, at most `attempts` times. */
const eventually = async (check: () => boolean | Promise<boolean>, attempts = 150) => {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
};

/**
 * An instance whose PostgreSQL and Redis are reached through TCP proxies the test controls,
 * next to an instance connected directly: faults are injected in the proxies, never by touching
 * the machine's shared servers.
 */
describe.runIf(servicesAvailable('postgres', 'redis'))(
  'an instance whose PostgreSQL or Redis fails',
  () => {
    let schema: TestSchema;
    let redis: TestRedisPrefix;
    let pgProxy: TcpProxy;
    let redisProxy: TcpProxy;
    let direct: Record<string, string>;
    let faulty: ServeProcess;
    let healthy: ServeProcess;

    const post = async (instance: ServeProcess, key: string): Promise<Answer> => {
      const requestId = randomUUID();
      const res = await fetch(`${instance.url}/v1/hosting/game/power/srv_1/start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'x-request-id': requestId },
        signal: AbortSignal.timeout(STORE_TIMEOUT_MS * 5),
      });
      return {
        requestId,
        status: res.status,
        body: await res.text(),
        remaining: res.headers.get('ratelimit-remaining'),
      };
    };

    const createKey = () =>
      runCliJson<{ id: string; key: string }>(['keys', 'create', '--customer', 'cus_1'], direct);

    const linesOf = (instance: ServeProcess, message: string) =>
      instance
        .output()
        .split('\n')
        .filter((line) => line.includes(`"msg":"${message}`));

    beforeAll(async () => {
      schema = await createTestSchema();
      redis = createRedisPrefix();
      pgProxy = await startTcpProxy(targetOf(schema.url));
      redisProxy = await startTcpProxy(targetOf(REDIS_URL));
      const common = {
        REDIS_URL,
        HEO_REDIS_PREFIX: redis.prefix,
        HEO_RATE_LIMIT_PER_MINUTE: String(LIMIT),
        HEO_STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
        HEO_REDIS_TIMEOUT_MS: '300',
        HEO_STORE_POOL_SIZE: '3',
      };
      direct = { ...common, DATABASE_URL: schema.url };
      await runCliJson(['migrate'], direct);
      await runCliJson(['providers', 'add', 'sim', '--type', 'simulator'], direct);
      await runCliJson(
        ['game', 'add', 'srv_1', '--customer', 'cus_1', '--provider', 'sim'],
        direct,
      );
      [faulty, healthy] = await Promise.all([
        startServeProcess({
          ...common,
          DATABASE_URL: pgProxy.via(schema.url),
          REDIS_URL: redisProxy.via(REDIS_URL),
        }),
        startServeProcess(direct),
      ]);
    });
    afterAll(async () => {
      // Absent when beforeAll failed.
      await Promise.all([
        (faulty as ServeProcess | undefined)?.stop('SIGKILL'),
        (healthy as ServeProcess | undefined)?.stop('SIGKILL'),
      ]);
      (await import('node:fs')).writeFileSync('/tmp/faulty.log', faulty.output());
      await pgProxy.close();
      await redisProxy.close();
      await schema.drop();
      await redis.clear();
    });

    it('Redis cut: requests are still served on local limits, then limits are shared again', async () => {
      const { key } = await createKey();
      expect((await post(faulty, key)).remaining).toBe(String(LIMIT - 1));
      expect((await post(healthy, key)).remaining).toBe(String(LIMIT - 2));

      redisProxy.cut();
      const during = [];
      for (let i = 0; i < 3; i++) during.push(await post(faulty, key));
      // Counted by the instance alone, in a window of its own.
      expect(during.map((a) => [a.status, a.remaining])).toEqual([
        [200, String(LIMIT - 1)],
        [200, String(LIMIT - 2)],
        [200, String(LIMIT - 3)],
      ]);
      // Logs travel on another pipe than responses: wait (bounded) for the line to arrive.
      expect(await eventually(() => linesOf(faulty, 'Redis unreachable').length === 1)).toBe(true);

      redisProxy.restore();
      expect(await eventually(() => linesOf(faulty, 'Redis reachable again').length === 1)).toBe(
        true,
      );
      expect((await post(faulty, key)).remaining).toBe(String(LIMIT - 3));
      expect((await post(healthy, key)).remaining).toBe(String(LIMIT - 4));
      expect(linesOf(faulty, 'Redis unreachable')).toHaveLength(1);
    });

    it.each(['cut', 'blackhole'] as const)(
      'PostgreSQL %s: 503 within the store time-out, /readyz fails, service resumes, no 200 unrecorded',
      async (fault) => {
        const { id, key } = await createKey();
        const answers: Answer[] = [];
        for (let i = 0; i < 3; i++) answers.push(await post(faulty, key));
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);

        pgProxy[fault]();
        for (let i = 0; i < 3; i++) {
          const started = Date.now();
          const answer = await post(faulty, key);
          answers.push(answer);
          expect(answer.status).toBe(503);
          expect(answer.body).toBe(
            '{"success":false,"error":"service_unavailable","message":"Service temporarily unavailable, try again shortly"}',
          );
          // Bounded by the store time-out (with room for a loaded machine), never a hang.
          expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT_MS * 3);
        }
        const ready = await fetch(`${faulty.url}/readyz`);
        expect(ready.status).toBe(503);
        expect((await fetch(`${faulty.url}/healthz`)).status).toBe(200);
        // The other instance does not share the fault.
        expect((await post(healthy, key)).status).toBe(200);

        pgProxy.restore();
        expect(
          await eventually(async () => {
            const answer = await post(faulty, key);
            answers.push(answer);
            return answer.status === 200;
          }),
        ).toBe(true);
        for (let i = 0; i < 3; i++) answers.push(await post(faulty, key));
        expect(answers.slice(-3).map((a) => a.status)).toEqual([200, 200, 200]);
        expect((await fetch(`${faulty.url}/readyz`)).status).toBe(200);

        const recorded = await runCliJson<{ request_id: string; status: number }[]>(
          ['audit', '--key', id, '--limit', '1000'],
          direct,
        );
        const recorded200 = new Set(
          recorded.filter((r) => r.status === 200).map((r) => r.request_id),
        );
        const answered200 = answers.filter((a) => a.status === 200).map((a) => a.requestId);
        expect(answered200.length).toBeGreaterThanOrEqual(6);
        expect(answered200.filter((requestId) => !recorded200.has(requestId))).toEqual([]);
        // In a blackhole the instance does not know yet that the store is gone: the first request
        // is served from its caches up to the provider, and only its audit write times out. That
        // request answers 503 and is logged with its would-be audit record. After a cut the
        // instance knows at once (its notification channel drops), so requests stop earlier.
        const unrecorded = linesOf(
          faulty,
          'store unavailable: answered 503 without an audit record',
        );
        if (fault === 'blackhole') expect(unrecorded.length).toBeGreaterThanOrEqual(1);
      },
    );
  },
);
