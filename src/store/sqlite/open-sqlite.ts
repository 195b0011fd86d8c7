import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createSqlStore } from '../sql/sql-store.js';
import type { Store } from '../store.js';
import { FsyncAuditStore } from './fsync-audit-store.js';
import { SqliteChangeFeed } from './sqlite-change-feed.js';
import { SqliteExecutor } from './sqlite-executor.js';

export type SqliteSynchronous = 'NORMAL' | 'FULL';
export type AuditDurability = 'process-crash' | 'power-loss';

export interface SqliteStoreOptions {
  readonly path: string;
  /** `NORMAL` survives a crash of the process; `FULL` also survives power loss. */
  readonly synchronous?: SqliteSynchronous;
  readonly busyTimeoutMs?: number;
  /** `power-loss`: audit appends are fsynced by a worker thread before they are acknowledged. */
  readonly auditDurability?: AuditDurability;
}

export interface SqliteStore extends Store {
  readonly executor: SqliteExecutor;
}

export const openSqliteDatabase = (options: SqliteStoreOptions): BetterSqlite3.Database => {
  mkdirSync(dirname(resolve(options.path)), { recursive: true });
  const db = new BetterSqlite3(options.path, { timeout: options.busyTimeoutMs ?? 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  return db;
};

/** The embedded default: one SQLite file in WAL mode. */
export const openSqliteStore = (options: SqliteStoreOptions): SqliteStore => {
  const db = openSqliteDatabase(options);
  const executor = new SqliteExecutor(db);
  const changes = new SqliteChangeFeed(db);
  const store = createSqlStore({
    dialect: 'sqlite',
    location: resolve(options.path),
    db: executor,
    changes,
    onChange: async () => changes.markLocalChange(),
  });
  if (options.auditDurability !== 'power-loss') return { ...store, executor };
  const audit = new FsyncAuditStore(options.path, store.audit);
  return {
    ...store,
    executor,
    audit,
    close: async () => {
      await audit.close();
      await store.close();
    },
  };
};
