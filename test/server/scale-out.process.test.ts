import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson } from '../helpers/cli.js';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import {
  adminQuery,
  createRedisPrefix,
  createTestSchema,
  REDIS_URL,
  servicesAvailable,
  type TestRedisPrefix,
  type TestSchema,
} from '../helpers/services.js';

const LIMIT = 5;

/**
 * Two `heo-power serve` processes on one PostgreSQL schema and one Redis prefix, configured
 * through the CLI in a third process: they must behave as one service.
 */
describe.runIf(servicesAvailable('postgres', 'redis'))(
  'two instances on one PostgreSQL and one Redis',
  () => {
    let schema: TestSchema;
    let redis: TestRedisPrefix;
    let env: Record<string, string>;
    let a: ServeProcess;
    let b: ServeProcess;
    const plaintexts: string[] = [];

    const post = (instance: ServeProcess, key: string, id = 'vps_1') =>
      fetch(`${instance.url}/v1/hosting/cloud/vps-custom/${id}/start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
      });

    const createKey = async () => {
      const created = await runCliJson<{ id: string; key: string }>(
        ['keys', 'create', '--customer', 'cus_1'],
        env,
      );
      plaintexts.push(created.key);
      return created;
    };

    beforeAll(async () => {
      schema = await createTestSchema();
      redis = createRedisPrefix();
      env = {
        DATABASE_URL: schema.url,
        REDIS_URL,
        HEO_REDIS_PREFIX: redis.prefix,
        HEO_RATE_LIMIT_PER_MINUTE: String(LIMIT),
        HEO_STORE_POOL_SIZE: '3',
      };
      expect(await runCliJson<{ applied: string[] }>(['migrate'], env)).toMatchObject({
        applied: ['0001-initial', '0002-key-allowlists', '0003-audit-indexes'],
      });
      await runCliJson(['providers', 'add', 'sim', '--type', 'simulator'], env);
      await runCliJson(['vps', 'add', 'vps_1', '--customer', 'cus_1', '--provider', 'sim'], env);
      [a, b] = await Promise.all([startServeProcess(env), startServeProcess(env)]);
    });
    afterAll(async () => {
      // Absent when beforeAll failed.
      await Promise.all([
        (a as ServeProcess | undefined)?.stop('SIGKILL'),
        (b as ServeProcess | undefined)?.stop('SIGKILL'),
      ]);
      await schema.drop();
      await redis.clear();
    });

    it(`gives a key limited to ${LIMIT} per minute exactly ${LIMIT} successes across both, then 429 on either`, async () => {
      const { key } = await createKey();
      const answers: [number, string | null][] = [];
      for (let i = 0; i < LIMIT; i++) {
        const res = await post(i % 2 === 0 ? a : b, key);
        answers.push([res.status, res.headers.get('ratelimit-remaining')]);
      }
      expect(answers).toEqual([
        [200, '4'],
        [200, '3'],
        [200, '2'],
        [200, '1'],
        [200, '0'],
      ]);
      for (const instance of [a, b, a]) {
        const refused = await post(instance, key);
        expect(refused.status).toBe(429);
        expect(await refused.json()).toEqual({
          success: false,
          error: 'rate_limited',
          message: 'Too many requests',
        });
        expect(refused.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
        expect(refused.headers.get('ratelimit-limit')).toBe(String(LIMIT));
      }
    });

    it('a key created while both run works on both at once', async () => {
      const { key } = await createKey();
      expect((await post(b, key)).status).toBe(200);
      expect((await post(a, key)).status).toBe(200);
    });

    it('a machine added while both run is reachable on both at once, though both had refused it', async () => {
      const { key } = await createKey();
      expect((await post(a, key, 'vps_2')).status).toBe(403);
      expect((await post(b, key, 'vps_2')).status).toBe(403);
      await runCliJson(['vps', 'add', 'vps_2', '--customer', 'cus_1', '--provider', 'sim'], env);
      expect((await post(b, key, 'vps_2')).status).toBe(200);
      expect((await post(a, key, 'vps_2')).status).toBe(200);
    });

    it('a key revoked through the CLI is refused by both on the very next request', async () => {
      const { id, key } = await createKey();
      // Both instances have the key in their caches now.
      for (const instance of [a, b, a, b]) expect((await post(instance, key)).status).toBe(200);
      const revoked = await runCli(['keys', 'revoke', id], env);
      expect(revoked.code).toBe(0);
      for (const instance of [b, a]) {
        const refused = await post(instance, key);
        expect(refused.status).toBe(401);
        expect(await refused.json()).toEqual({
          success: false,
          error: 'unauthorized',
          message: 'Missing, invalid, or revoked API key',
        });
      }
    });

    it('both write to one audit log, which the CLI reads', async () => {
      const records = await runCliJson<{ status: number }[]>(['audit', '--limit', '1000'], env);
      const rows = await adminQuery<{ n: string }>(
        `SELECT COUNT(*) AS n FROM "${schema.name}".audit_log WHERE status = 200`,
      );
      expect(records.filter((r) => r.status === 200)).toHaveLength(Number(rows[0]?.n));
      expect(records.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(13);
      expect(records.filter((r) => r.status === 429)).toHaveLength(3);
    });

    it('neither the database nor the logs ever contain a plaintext key', async () => {
      expect(plaintexts.length).toBeGreaterThanOrEqual(4);
      const dump = JSON.stringify(
        await Promise.all(
          ['api_keys', 'audit_log', 'operator_log'].map((table) =>
            adminQuery(`SELECT * FROM "${schema.name}".${table}`),
          ),
        ),
      );
      expect(dump).toContain('key_');
      for (const key of plaintexts) {
        expect(dump).not.toContain(key);
        expect(a.output()).not.toContain(key);
        expect(b.output()).not.toContain(key);
      }
      expect(await redis.keys()).not.toContain(plaintexts[0]);
    });
  },
);

describe.runIf(servicesAvailable('postgres'))('starting instances on PostgreSQL', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(() => schema.drop());

  it('serve refuses an outdated schema with one clear line, and exits 1', async () => {
    const result = await runCli(['serve'], { DATABASE_URL: schema.url, PORT: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'heo-power: database schema is at version 0, this build needs 3: run "heo-power migrate" first\n',
    );
  });

  it('migrate run by several instances at once applies each migration once', async () => {
    const env = { DATABASE_URL: schema.url };
    const results = await Promise.all([1, 2, 3].map(() => runCli(['migrate'], env)));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const outputs = results.map((r) => r.stdout.trim()).sort();
    expect(
      outputs.filter((line) =>
        line.startsWith('applied 0001-initial, 0002-key-allowlists, 0003-audit-indexes'),
      ),
    ).toHaveLength(1);
    expect(
      outputs.filter((line) => line.startsWith('schema is up to date (version 3)')),
    ).toHaveLength(2);
    expect(await adminQuery(`SELECT version FROM "${schema.name}".heo_schema_migrations`)).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
    ]);
  });

  it('serve exits 1 with one clear line when PostgreSQL cannot be reached', async () => {
    const result = await runCli(['serve'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
      HEO_STORE_TIMEOUT_MS: '1000',
      PORT: '0',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^heo-power: database unavailable: .*ECONNREFUSED.*\n$/);
  });
});
