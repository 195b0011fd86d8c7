import type { Log } from '../logger.js';
import { openPostgresStore } from './postgres/open-postgres.js';
import { type AuditDurability, openSqliteStore } from './sqlite/open-sqlite.js';
import type { Store } from './store.js';

export interface StoreOptions {
  readonly databaseUrl: string;
  /** SQLite: what an audit record survives before it is acknowledged. */
  readonly auditDurability?: AuditDurability;
  /** PostgreSQL: most pooled connections. */
  readonly poolSize: number;
  /** PostgreSQL: bound of connecting, of each statement and of each store operation. */
  readonly timeoutMs: number;
  /** PostgreSQL: where connection trouble is reported. */
  readonly logger?: Log;
  /** PostgreSQL: listen for configuration changes (servers do; CLI commands need not). */
  readonly watchChanges?: boolean;
  /** PostgreSQL: how long caches are trusted after the notification connection proved alive. */
  readonly cacheTrustMs?: number;
}

export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);

/** `./data/heo-power.db`, `file:./x.db` or `sqlite:./x.db` select the embedded SQLite store. */
export const sqlitePathOf = (url: string): string => url.replace(/^(file|sqlite):(\/\/)?/i, '');

const silent: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export const openStore = async (options: StoreOptions): Promise<Store> => {
  if (isPostgresUrl(options.databaseUrl)) {
    return openPostgresStore({
      url: options.databaseUrl,
      poolSize: options.poolSize,
      timeoutMs: options.timeoutMs,
      logger: options.logger ?? silent,
      ...(options.watchChanges === undefined ? {} : { watchChanges: options.watchChanges }),
      ...(options.cacheTrustMs === undefined ? {} : { cacheTrustMs: options.cacheTrustMs }),
    });
  }
  return openSqliteStore({
    path: sqlitePathOf(options.databaseUrl),
    ...(options.auditDurability === undefined ? {} : { auditDurability: options.auditDurability }),
  });
};
