import { DEFAULTS } from '../src/config.js';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openStore } from '../src/store/open-store.js';
import { type Fixtures, seed } from './fixtures.js';

/**
 * The PostgreSQL + Redis case runs against the machine's services, in a schema and a Redis key
 * prefix of its own that it removes afterwards. `HEO_BENCH_POSTGRES_URL` and
 * `HEO_BENCH_REDIS_URL` point it elsewhere.
 */
export const POSTGRES_URL =
  process.env.HEO_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.HEO_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

const redisClient = () =>
  new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });

/** Why the case cannot run, or `null` when both services answer. */
export const unavailable = async (): Promise<string | null> => {
  try {
    await admin((client) => client.query('SELECT 1'));
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_URL} is unreachable (${String(error)})`;
  }
  const redis = redisClient();
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return `Redis at ${REDIS_URL} is unreachable (${String(error)})`;
  } finally {
    redis.disconnect();
  }
};

export interface PostgresStorage {
  readonly env: Readonly<Record<string, string>>;
  readonly fixtures: Fixtures;
  count200(): Promise<number>;
  cleanup(): Promise<void>;
}

/** A migrated, seeded schema and a fresh Redis prefix. */
export const preparePostgres = async (customers: number): Promise<PostgresStorage> => {
  const schema = `heo_bench_${Math.floor(Date.now() / 1000)}_${randomBytes(3).toString('hex')}`;
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const databaseUrl = url.toString();
  const prefix = `heo-bench-${randomBytes(4).toString('hex')}:`;
  await admin((client) => client.query(`CREATE SCHEMA "${schema}"`));
  const drop = async () => {
    await admin((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    const redis = redisClient();
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      let cursor = '0';
      for (let round = 0; round < 10_000; round++) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
    } finally {
      redis.disconnect();
    }
  };
  try {
    const store = await openStore({
      databaseUrl,
      poolSize: DEFAULTS.storePoolSize,
      timeoutMs: DEFAULTS.storeTimeoutMs,
      watchChanges: false,
    });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    const fixtures = await seed(databaseUrl, customers);
    return {
      env: { DATABASE_URL: databaseUrl, REDIS_URL, HEO_REDIS_PREFIX: prefix },
      fixtures,
      count200: () =>
        admin(async (client) => {
          const { rows } = await client.query<{ n: string }>(
            `SELECT COUNT(*) AS n FROM "${schema}".audit_log WHERE status = 200`,
          );
          return Number(rows[0]?.n ?? 0);
        }),
      cleanup: drop,
    };
  } catch (error) {
    await drop();
    throw error;
  }
};
