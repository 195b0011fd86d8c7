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
export type AuditDurability = 'process-crash' | 'power-loss';

export interface SqliteStoreOptions {
  readonly path: string;
  /** `NORMAL` survives a crash of the process; `FULL` also survives power loss. */
  readonly synchronous?: SqliteSynchronous;
  readonly busyTimeoutMs?: number;
  /** `power-loss`: audit appends are fsynced by a worker thread before they are acknowledged. */
  readonly auditDurability?: AuditDurability;
  /**
   * A long-running writer (the server) checkpoints the WAL from a worker thread every this many
   * milliseconds instead of inside its own commits. Unset: SQLite's automatic checkpoints.
   */
  readonly checkpointIntervalMs?: number;
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
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  return db;
};

/** The embedded default: one SQLite file in WAL mode. */
export const openSqliteStore = (options: SqliteStoreOptions): SqliteStore => {
  const db = openSqliteDatabase(options);
  const checkpoints = startCheckpoints(db, options);
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
  return {
    ...store,
    executor,
    ...(audit === null ? {} : { audit }),
    close: async () => {
      await audit?.close();
      await checkpoints?.terminate();
      await store.close();
    },
  };
};

const startCheckpoints = (
  db: BetterSqlite3.Database,
  options: SqliteStoreOptions,
): Worker | null => {
  if (options.checkpointIntervalMs === undefined) return null;
  db.pragma('wal_autocheckpoint = 0');
  const settings: CheckpointSettings = {
    path: options.path,
    intervalMs: options.checkpointIntervalMs,
  };
  const worker = new Worker(workerUrl('checkpoint-worker.js'), { workerData: settings });
  // A worker that cannot run must not take the server down: commits fall back to SQLite's own
  // automatic checkpoints.
  worker.on('error', () => db.pragma('wal_autocheckpoint = 1000'));
  worker.unref();
  return worker;
};
