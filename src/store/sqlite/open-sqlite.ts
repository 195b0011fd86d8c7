import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { createSqlStore } from '../sql/sql-store.js';
import type { Store } from '../store.js';
import { Worker } from 'node:worker_threads';
import type { CheckpointSettings } from './checkpoint-worker.js';
import { FsyncAuditStore } from './fsync-audit-store.js';
import { SqliteChangeFeed } from './sqlite-change-feed.js';
import {
  openSqliteDatabase,
  type SqliteDatabaseOptions,
  WAL_LIMIT_BYTES,
} from './sqlite-database.js';
import { SqliteExecutor } from './sqlite-executor.js';
import { workerUrl } from './worker-url.js';

export type AuditDurability = 'process-crash' | 'power-loss';

export interface SqliteStoreOptions extends SqliteDatabaseOptions {
  /** `power-loss`: audit appends are fsynced by a worker thread before they are acknowledged. */
  readonly auditDurability?: AuditDurability;
}

export interface SqliteStore extends Store {
  readonly executor: SqliteExecutor;
}

/**
 * How often a serving store's worker thread checkpoints the WAL. Often, so that each checkpoint
 * has little to copy and to fsync: with 250 ms, under sustained load, the server's own WAL writes
 * stalled behind the filesystem while a larger checkpoint was flushed (ext4 here), and the 200
 * path's p99 rose from about 3 ms to 15-20 ms after a few seconds; with 50 ms it stayed at 3 ms.
 */
const CHECKPOINT_INTERVAL_MS = 50;

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
  const audit =
    options.auditDurability === 'power-loss'
      ? new FsyncAuditStore(options.path, store.audit)
      : null;
  let checkpoints: Worker | null = null;
  return {
    ...store,
    executor,
    ...(audit === null ? {} : { audit }),
    enterServing: () => {
      checkpoints ??= startServing(db, options.path);
    },
    close: async () => {
      await audit?.close();
      await checkpoints?.terminate();
      await store.close();
    },
  };
};

/**
 * A server's event loop must never stop for the database: checkpoints move to a worker thread,
 * and a write that finds the lock taken fails at once (the audit writer waits and retries without
 * blocking) instead of waiting inside SQLite.
 */
const startServing = (db: BetterSqlite3.Database, path: string): Worker => {
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('busy_timeout = 0');
  const settings: CheckpointSettings = {
    path,
    intervalMs: CHECKPOINT_INTERVAL_MS,
    restartBytes: WAL_LIMIT_BYTES,
  };
  const worker = new Worker(workerUrl('checkpoint-worker.js'), { workerData: settings });
  // A worker that cannot run must not take the server down: commits fall back to SQLite's own
  // automatic checkpoints.
  worker.on('error', () => db.pragma('wal_autocheckpoint = 1000'));
  worker.unref();
  return worker;
};
