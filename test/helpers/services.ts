import { randomBytes } from 'node:crypto';
import { Client, type QueryResultRow } from 'pg';
import { Redis } from 'ioredis';

/**
 * The machine's PostgreSQL and Redis, shared with everything else that runs here: tests never
 * stop or reconfigure them, and isolate themselves in a schema and a key prefix of their own.
 * `HEO_TEST_POSTGRES_URL` and `HEO_TEST_REDIS_URL` point the tests elsewhere.
 */
export const POSTGRES_URL =
  process.env.HEO_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.HEO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const IN_CI = process.env.CI === 'true';
const STALE_AFTER_S = 3_600;

const probePostgres = async (): Promise<string | null> => {
  const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // Schemas left behind by runs that were killed before they could clean up.
    const { rows } = await client.query<{ name: string }>(
      "SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'heo\\_test\\_%'",
    );
    const now = Math.floor(Date.now() / 1000);
    for (const { name } of rows) {
      const created = Number(name.split('_')[2]);
      if (Number.isFinite(created) && now - created > STALE_AFTER_S) {
        await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      }
    }
    return null;
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_URL} is unreachable (${String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
};

const probeRedis = async (): Promise<string | null> => {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let cause: unknown;
  redis.on('error', (error: unknown) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return `Redis at ${REDIS_URL} is unreachable (${String(cause ?? error)})`;
  } finally {
    redis.disconnect();
  }
};

/**
 * The backends the suites run on: `HEO_TEST_BACKENDS=sqlite` (or `sqlite,postgres`, the default).
 * PostgreSQL + Redis left out by choice are not probed, and their suites are skipped even with
 * `CI=true`: the run asked for it.
 */
const KNOWN_BACKENDS = ['sqlite', 'postgres'] as const;
export type TestBackendName = (typeof KNOWN_BACKENDS)[number];
export const SELECTED_BACKENDS: ReadonlySet<TestBackendName> = (() => {
  const names = (process.env.HEO_TEST_BACKENDS ?? KNOWN_BACKENDS.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(KNOWN_BACKENDS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `HEO_TEST_BACKENDS must list ${KNOWN_BACKENDS.join(' and/or ')} (got "${process.env.HEO_TEST_BACKENDS ?? ''}")`,
    );
  }
  return new Set(names as TestBackendName[]);
})();

const NOT_SELECTED = 'not selected by HEO_TEST_BACKENDS';
const [postgresProblem, redisProblem] = SELECTED_BACKENDS.has('postgres')
  ? await Promise.all([probePostgres(), probeRedis()])
  : [NOT_SELECTED, NOT_SELECTED];

export type SharedService = 'postgres' | 'redis';

/**
 * Whether the suites that need these services can run. Under `CI=true` an unreachable service
 * fails the run (this throws while the test file is collected); locally such suites are skipped
 * and the reason is printed.
 */
export const servicesAvailable = (...needs: readonly SharedService[]): boolean => {
  const problems = needs
    .map((need) => (need === 'postgres' ? postgresProblem : redisProblem))
    .filter((problem): problem is string => problem !== null);
  if (problems.length === 0) return true;
  if (problems.includes(NOT_SELECTED)) return false;
  if (IN_CI) throw new Error(`CI=true needs PostgreSQL and Redis: ${problems.join('; ')}`);
  console.warn(`skipping tests that need ${needs.join(' and ')}: ${problems.join('; ')}`);
  return false;
};

/** Runs one statement as the test's administrator, on a connection of its own. */
export const adminQuery = async <R extends QueryResultRow = QueryResultRow>(
  sql: string,
  params: readonly unknown[] = [],
): Promise<R[]> => {
  const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, [...params])).rows;
  } finally {
    await client.end();
  }
};

/** `url` with its search_path set to `schema`, as an operator would write it. */
export const withSearchPath = (url: string, schema: string): string => {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
};

export interface TestSchema {
  readonly name: string;
  /** DATABASE_URL of the schema. */
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh, empty schema in the test database; `drop` removes it and all it holds. */
export const createTestSchema = async (): Promise<TestSchema> => {
  const name = `heo_test_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA "${name}"`);
  return {
    name,
    url: withSearchPath(POSTGRES_URL, name),
    drop: async () => {
      await adminQuery(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    },
  };
};

export interface TestRedisPrefix {
  readonly prefix: string;
  /** Keys written under the prefix so far. */
  keys(): Promise<string[]>;
  /** Deletes every key under the prefix. */
  clear(): Promise<void>;
}

export const createRedisPrefix = (): TestRedisPrefix => {
  const prefix = `heo-test:${randomBytes(6).toString('hex')}:`;
  const withRedis = async <T>(work: (redis: Redis) => Promise<T>): Promise<T> => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    redis.on('error', () => undefined);
    try {
      return await work(redis);
    } finally {
      redis.disconnect();
    }
  };
  const keys = () =>
    withRedis(async (redis) => {
      const found: string[] = [];
      let cursor = '0';
      for (let i = 0; i < 10_000; i++) {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        found.push(...batch);
        cursor = next;
        if (cursor === '0') break;
      }
      return found;
    });
  return {
    prefix,
    keys,
    clear: async () => {
      const found = await keys();
      if (found.length > 0) await withRedis((redis) => redis.del(...found));
    },
  };
};
