import BetterSqlite3 from 'better-sqlite3';
import { type Config, DEFAULTS } from '../../src/config.js';
import { openStore } from '../../src/store/open-store.js';
import {
  adminQuery,
  createRedisPrefix,
  createTestSchema,
  REDIS_URL,
  servicesAvailable,
} from './services.js';
import { tempDir } from './temp-dir.js';

/** Storage made for one test service, and how to take it away again. */
export interface Provisioned {
  /** Settings that point the service at this storage. */
  readonly config: Partial<Config>;
  /** The same, as environment variables for a spawned `heo-power`. */
  readonly env: Readonly<Record<string, string>>;
  /** Makes every later audit write fail (its table disappears), as a broken database would. */
  breakAuditTable(): Promise<void>;
  /** Makes every later read of keys fail (their table disappears). */
  breakKeyTable(): Promise<void>;
  cleanup(): Promise<void>;
}

/** What the service runs on: the store and where rate limits are counted. */
export interface Backend {
  readonly name: string;
  provision(): Promise<Provisioned>;
}

const renameSqliteTable = (path: string, table: string): void => {
  const db = new BetterSqlite3(path);
  try {
    db.exec(`ALTER TABLE ${table} RENAME TO ${table}_moved`);
  } finally {
    db.close();
  }
};

const renamePostgresTable = async (schema: string, table: string): Promise<void> => {
  await adminQuery(`ALTER TABLE "${schema}".${table} RENAME TO ${table}_moved`);
};

export const SQLITE: Backend = {
  name: 'SQLite with in-memory limits',
  provision: async () => {
    const dir = tempDir();
    const path = dir.file('heo-power.db');
    return {
      config: { databaseUrl: path, redisUrl: null },
      env: { DATABASE_URL: path },
      breakAuditTable: async () => renameSqliteTable(path, 'audit_log'),
      breakKeyTable: async () => renameSqliteTable(path, 'api_keys'),
      cleanup: async () => dir.remove(),
    };
  },
};

/** A schema of its own, migrated as `heo-power migrate` does, and a Redis key prefix of its own. */
export const POSTGRES_REDIS: Backend = {
  name: 'PostgreSQL with Redis limits',
  provision: async () => {
    const schema = await createTestSchema();
    const redis = createRedisPrefix();
    try {
      const store = await openStore({
        databaseUrl: schema.url,
        poolSize: DEFAULTS.storePoolSize,
        timeoutMs: DEFAULTS.storeTimeoutMs,
        watchChanges: false,
      });
      try {
        await store.migrate();
      } finally {
        await store.close();
      }
    } catch (error) {
      await schema.drop();
      throw error;
    }
    return {
      config: {
        databaseUrl: schema.url,
        storePoolSize: 4,
        redisUrl: REDIS_URL,
        redisPrefix: redis.prefix,
      },
      env: { DATABASE_URL: schema.url, REDIS_URL, HEO_REDIS_PREFIX: redis.prefix },
      breakAuditTable: async () => renamePostgresTable(schema.name, 'audit_log'),
      breakKeyTable: async () => renamePostgresTable(schema.name, 'api_keys'),
      cleanup: async () => {
        await schema.drop();
        await redis.clear();
      },
    };
  },
};

/**
 * Every backend the HTTP suites run on. PostgreSQL + Redis is left out, with a printed reason,
 * when they are unreachable locally; under `CI=true` that fails the run instead.
 */
export const BACKENDS: readonly Backend[] = servicesAvailable('postgres', 'redis')
  ? [SQLITE, POSTGRES_REDIS]
  : [SQLITE];
