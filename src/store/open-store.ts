import { openSqliteStore, type SqliteSynchronous } from './sqlite/open-sqlite.js';
import type { Store } from './store.js';

export interface StoreOptions {
  readonly databaseUrl: string;
  readonly sqliteSynchronous?: SqliteSynchronous;
}

export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);

/** `./data/heo-power.db`, `file:./x.db` or `sqlite:./x.db` select the embedded SQLite store. */
export const sqlitePathOf = (url: string): string => url.replace(/^(file|sqlite):(\/\/)?/i, '');

export const openStore = async (options: StoreOptions): Promise<Store> => {
  if (isPostgresUrl(options.databaseUrl)) {
    throw new Error('PostgreSQL support is not available in this build');
  }
  return openSqliteStore({
    path: sqlitePathOf(options.databaseUrl),
    ...(options.sqliteSynchronous ? { synchronous: options.sqliteSynchronous } : {}),
  });
};
