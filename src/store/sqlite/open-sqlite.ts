import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createSqlStore } from '../sql/sql-store.js';
import type { Store } from '../store.js';
import { Worker } from 'node:worker_threads';
import type { CheckpointSettings } from './checkpoint-worker.js';
import { FsyncAuditStore } from './fsync-audit-store.js';
import { SqliteChangeFeed } from './sqlite-change-feed.js';
import { SqliteExecutor } from './sqlite-executor.js';
import { workerUrl } from './worker-url.js';

export type SqliteSynchronous = 'NORMAL' | 'FULL';

/** The size the WAL file is kept to: checkpoints restart it once it has grown past this. */
const WAL_LIMIT_BYTES = 64 * 1024 * 1024;
export type AuditDurability = 'process-crash' | 'power-loss';

export interface SqliteStoreOptions {
  readonly path: string;
  /** `NORMAL` survives a crash of the process; `FULL` also survives power loss. */
  readonly synchronous?: SqliteSynchronous;
  readonly busyTimeoutMs?: number;
  /** Page cache of the connection, in KiB (default 4 MiB). */
  readonly cacheKib?: number;
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
  // After a checkpoint the WAL file is cut back to this size instead of keeping its peak.
  db.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
  // Keys and resources are cached by the service itself and the audit log is appended to, so a
  // large page cache would only fill with audit pages that are never read again (SQLite's
  // default here is 16 MiB per connection, which showed as slowly rising RSS under load).
  db.pragma(`cache_size = -${options.cacheKib ?? 4_096}`);
  return db;
};

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
