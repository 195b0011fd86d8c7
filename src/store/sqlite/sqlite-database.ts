import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export type SqliteSynchronous = 'NORMAL' | 'FULL';

/** The size the WAL file is kept to: checkpoints restart it once it has grown past this. */
export const WAL_LIMIT_BYTES = 64 * 1024 * 1024;

export interface SqliteDatabaseOptions {
  readonly path: string;
  /** `NORMAL` survives a crash of the process; `FULL` also survives power loss. */
  readonly synchronous?: SqliteSynchronous;
  readonly busyTimeoutMs?: number;
  /** Page cache of the connection, in KiB (default 4 MiB). */
  readonly cacheKib?: number;
}

/** One connection to the SQLite file, set up alike for the server, its workers and the CLI. */
export const openSqliteDatabase = (options: SqliteDatabaseOptions): BetterSqlite3.Database => {
  mkdirSync(dirname(resolve(options.path)), { recursive: true });
  const db = new BetterSqlite3(options.path, { timeout: options.busyTimeoutMs ?? 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  // After a checkpoint the WAL file is cut back to this size instead of keeping its peak.
  db.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
  // Keys and resources are cached by the service itself and the audit log is appended to, so a
  // large page cache would only fill with audit pages that are never read again (SQLite's
  // default here is 16 MiB per connection, which showed as slowly rising RSS under load).
  db.pragma(`cache_size = -${options.cacheKib ?? 4_096}`);
  return db;
};
