import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson } from '../helpers/cli.js';
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

const CACHE_TRUST_MS = 500;
/** Far longer than the trust window: the notification connection is not replaced meanwhile. */
const STORE_TIMEOUT_MS = 30_000;

/** Polls `check` every 50 ms, at most `attempts` times: a bound, never a measurement. */
const eventually = async (check: () => Promise<boolean>, attempts: number): Promise<boolean> => {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
};

/**
 * Two instances on one PostgreSQL schema; every connection of one of them goes through a proxy,
 * which at some point silently drops only the connection that LISTENs for configuration changes
 * (every other connection stays healthy). That instance must stop trusting its caches within
 * `HEO_CACHE_TRUST_MS`, so that a revocation holds there too.
 */
describe.runIf(servicesAvailable('postgres', 'redis'))(
  'an instance whose change-notification connection silently dies',
  () => {
    let schema: TestSchema;
    let redis: TestRedisPrefix;
    let proxy: TcpProxy;
    let env: Record<string, string>;
    let healthy: ServeProcess;
    let deaf: ServeProcess;

    const status = async (instance: ServeProcess, key: string): Promise<number> => {
      const res = await fetch(`${instance.url}/v1/hosting/cloud/vps-custom/vps_1/start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.status;
    };

    const createKey = () =>
      runCliJson<{ id: string; key: string }>(['keys', 'create', '--customer', 'cus_1'], env);

    beforeAll(async () => {
      schema = await createTestSchema();
      redis = createRedisPrefix();
      proxy = await startTcpProxy(targetOf(schema.url));
      env = {
        DATABASE_URL: schema.url,
        REDIS_URL,
        HEO_REDIS_PREFIX: redis.prefix,
        HEO_RATE_LIMIT_PER_MINUTE: '100000',
        HEO_STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
        HEO_CACHE_TRUST_MS: String(CACHE_TRUST_MS),
        HEO_STORE_POOL_SIZE: '3',
      };
      await runCliJson(['migrate'], env);
      await runCliJson(['providers', 'add', 'sim', '--type', 'simulator'], env);
      await runCliJson(['vps', 'add', 'vps_1', '--customer', 'cus_1', '--provider', 'sim'], env);
      [healthy, deaf] = await Promise.all([
        startServeProcess(env),
        startServeProcess({ ...env, DATABASE_URL: proxy.via(schema.url) }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([
        (healthy as ServeProcess | undefined)?.stop('SIGKILL'),
        (deaf as ServeProcess | undefined)?.stop('SIGKILL'),
      ]);
      await proxy.close();
      await schema.drop();
      await redis.clear();
    });

    it('stops using its caches within the trust window: a revoked key is refused, a new key accepted', async () => {
      const revoked = await createKey();
      // Both instances have the key, the machine and every key's digest in their caches.
      for (const instance of [healthy, deaf, healthy, deaf]) {
        expect(await status(instance, revoked.key)).toBe(200);
      }
      proxy.blackholeConnectionsThatSent('LISTEN ');
      expect((await runCli(['keys', 'revoke', revoked.id], env)).code).toBe(0);
      const created = await createKey();
      expect(await status(healthy, revoked.key)).toBe(401);
      expect(await status(healthy, created.key)).toBe(200);

      // A bound of eight trust windows, each attempt a request that may go to the store.
      expect(await eventually(async () => (await status(deaf, revoked.key)) === 401, 80)).toBe(
        true,
      );
      expect(await eventually(async () => (await status(deaf, created.key)) === 200, 80)).toBe(
        true,
      );
      // The revocation holds on every later request too: the caches stay bypassed meanwhile.
      for (let i = 0; i < 5; i++) expect(await status(deaf, revoked.key)).toBe(401);
      expect(
        await eventually(
          async () => deaf.output().includes('configuration change notifications lost'),
          80,
        ),
      ).toBe(true);
    });
  },
);
