import { Client, type ClientConfig, Pool } from 'pg';
import { crc32 } from '../../domain/crc32.js';
import type { Log } from '../../logger.js';
import { StoreUnavailableError } from '../errors.js';
import type { ExclusiveMigration } from '../sql/migrator.js';
import { createSqlStore } from '../sql/sql-store.js';
import { str } from '../sql/rows.js';
import type { Store } from '../store.js';
import { PostgresChangeFeed } from './pg-change-feed.js';
import { describePgError, translatePgError } from './pg-errors.js';
import { PgPoolExecutor, PgSessionExecutor, pgTypes, withDeadline } from './pg-executor.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`, optionally `?options=-c search_path=...`. */
  readonly url: string;
  /** Most connections the pool opens (the change feed and the migrator use one more each). */
  readonly poolSize: number;
  /** Bound of connecting, of each statement, and of each store operation. */
  readonly timeoutMs: number;
  readonly logger: Log;
  /** Listen for configuration changes (a server does; a CLI command need not). */
  readonly watchChanges?: boolean;
  /**
   * How long the key and resource caches are trusted after the notification connection last
   * proved alive (default 2 s).
   */
  readonly cacheTrustMs?: number;
}

/** The URL without its password or parameters, for logs and CLI output. */
export const postgresLocation = (url: string): string => {
  try {
    const parsed = new URL(url);
    const user = parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`;
    return `postgres://${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'postgres://(unparsable URL)';
  }
};

/** Channel and lock names are per schema, so that several deployments can share a database. */
const schemaTag = (schema: string): string => crc32(schema).toString(16).padStart(8, '0');

const ignoreError = (): void => undefined;

/**
 * The shared store: one PostgreSQL database (or schema) for every instance. Opening it checks
 * that the database answers; it does not migrate (that is `heo-power migrate`'s job).
 */
export const openPostgresStore = async (options: PostgresStoreOptions): Promise<Store> => {
  const { url, timeoutMs, logger } = options;
  const base: ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    keepAlive: true,
    application_name: 'heo-power',
    types: pgTypes(),
  };
  const pool = new Pool({ ...base, max: options.poolSize, idleTimeoutMillis: 30_000 });
  pool.on('error', (error) => {
    logger.warn(
      { reason: describePgError(error) },
      'an idle database connection failed; it will be replaced',
    );
  });
  const db = new PgPoolExecutor(pool, timeoutMs);

  let schema: string;
  try {
    const row = await db.get('SELECT current_schema() AS schema');
    if (row?.schema === null || row?.schema === undefined) {
      throw new Error(
        'DATABASE_URL selects no existing schema: create it, or fix search_path in the URL',
      );
    }
    schema = str(row.schema);
  } catch (error) {
    await pool.end().catch(ignoreError);
    throw error;
  }
  const tag = schemaTag(schema);
  const channel = `heo_power_changes_${tag}`;
  const location = `${postgresLocation(url)}${schema === 'public' ? '' : ` (schema ${schema})`}`;

  const changes = new PostgresChangeFeed({
    newClient: () => new Client(base),
    channel,
    trustMs: options.cacheTrustMs ?? 2_000,
    timeoutMs,
    logger,
  });
  if (options.watchChanges ?? true) await changes.start();

  /**
   * Migrations hold a session-level advisory lock on a connection of their own, without the
   * statement time-out (a future migration may take long): instances started together migrate
   * one after the other, and each finds the work done by those before it.
   */
  const exclusiveMigration: ExclusiveMigration = async (work) => {
    const client = new Client({ ...base, query_timeout: undefined, statement_timeout: 0 });
    client.on('error', ignoreError);
    try {
      await client.connect();
    } catch (error) {
      throw translatePgError(error);
    }
    try {
      const lock = `hashtext('heo-power migrate ${tag}')`;
      const tried = await client.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(${lock}) AS locked`,
      );
      if (tried.rows[0]?.locked !== true) {
        logger.info('another heo-power is migrating this database; waiting for it to finish');
        await client.query(`SELECT pg_advisory_lock(${lock})`);
      }
      return await work(new PgSessionExecutor(client, db.placeholders));
    } catch (error) {
      throw translatePgError(error);
    } finally {
      // Ending the session releases the lock.
      await withDeadline(client.end(), timeoutMs).catch(ignoreError);
    }
  };

  let closing: Promise<void> | undefined;
  return createSqlStore({
    dialect: 'postgres',
    location,
    db,
    changes,
    onChange: async (tx) => {
      await tx.run('SELECT pg_notify(?, ?)', [channel, '']);
      tx.afterCommit(() => changes.markLocalChange());
    },
    exclusiveMigration,
    close: () => {
      closing ??= (async () => {
        await changes.close();
        // A pool whose server stopped answering may never finish ending; do not wait forever.
        await withDeadline(pool.end(), timeoutMs).catch((error: unknown) => {
          if (!(error instanceof StoreUnavailableError)) throw error;
        });
      })();
      return closing;
    },
  });
};
