import { copyFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreBusyError } from '../../src/store/errors.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/open-sqlite.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { auditEntry } from '../helpers/audit-entries.js';

const entry = auditEntry;

/** Rows in the database file itself, read from a copy taken without its WAL. */
const rowsInDatabaseFile = (dir: TempDir, path: string): number => {
  const copy = dir.file(`copy-${Date.now()}.db`);
  copyFileSync(path, copy);
  const db = new BetterSqlite3(copy);
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
  } catch {
    // Not even the schema has reached the file yet.
    return 0;
  } finally {
    db.close();
  }
};

/** The rows in the database file once the worker has checkpointed `expected` (or 5 s passed). */
const rowsOnceCheckpointed = async (dir: TempDir, path: string, expected: number) => {
  let rows = 0;
  for (let attempt = 0; attempt < 200 && rows < expected; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    rows = rowsInDatabaseFile(dir, path);
  }
  return rows;
};

describe('WAL checkpoints of a serving SQLite store', () => {
  /** What the running test opened, closed and removed after it. */
  let openedDir: TempDir | undefined;
  let openedStore: SqliteStore | undefined;

  afterEach(async () => {
    await openedStore?.close();
    openedDir?.remove();
  });

  /** A migrated store in a fresh folder, serving (its checkpoint worker started). */
  const servingStore = async (file: string) => {
    const folder = tempDir();
    openedDir = folder;
    const path = folder.file(file);
    const opened = openSqliteStore({ path });
    openedStore = opened;
    await opened.migrate();
    opened.enterServing?.();
    return { dir: folder, path, store: opened };
  };

  it('happen in a worker thread, not in the commits of the event loop', async () => {
    const { dir, path, store } = await servingStore('checkpoints.db');
    expect(store.executor.database.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    expect(store.executor.database.pragma('busy_timeout', { simple: true })).toBe(0);
    for (let batch = 0; batch < 20; batch++) {
      await store.audit.append(Array.from({ length: 100 }, (_, n) => entry(batch * 100 + n)));
    }
    expect(await rowsOnceCheckpointed(dir, path, 2_000)).toBe(2_000);
  });

  it('pause while nothing is committed and go on with the next commit', async () => {
    const { dir, path, store } = await servingStore('idle.db');
    await store.audit.append([entry(1), entry(2)]);
    expect(await rowsOnceCheckpointed(dir, path, 2)).toBe(2);
    // Idle ticks of the worker (every 50 ms) find nothing new and skip their checkpoint...
    await new Promise((resolve) => setTimeout(resolve, 300));
    // ...and the next commit is checkpointed all the same.
    await store.audit.append([entry(3)]);
    expect(await rowsOnceCheckpointed(dir, path, 3)).toBe(3);
  });

  it('finish, once a reader lets go, what a reader kept them from copying', async () => {
    const { dir, path, store } = await servingStore('reader.db');
    await store.audit.append([entry(1)]);
    expect(await rowsOnceCheckpointed(dir, path, 1)).toBe(1);
    // A reader's snapshot keeps the pages written after it in the WAL: no checkpoint may copy them.
    const reader = new BetterSqlite3(path);
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT COUNT(*) FROM audit_log').get();
      await store.audit.append([entry(2), entry(3)]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(rowsInDatabaseFile(dir, path)).toBe(1);
    } finally {
      reader.close();
    }
    // Nothing new is committed after that, and the rows reach the file all the same.
    expect(await rowsOnceCheckpointed(dir, path, 3)).toBe(3);
  });

  it('never make a serving connection wait for the write lock: a busy database says so at once', async () => {
    const { path, store } = await servingStore('busy.db');
    const other = new BetterSqlite3(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      await expect(store.audit.append([entry(1)])).rejects.toBeInstanceOf(StoreBusyError);
      other.exec('COMMIT');
      await store.audit.append([entry(2)]);
      expect((await store.audit.list({ limit: 5 })).map((r) => r.requestId)).toEqual(['req-2']);
    } finally {
      other.close();
    }
  });

  it('are left to SQLite when the store is not serving', async () => {
    openedDir = tempDir();
    const store = openSqliteStore({ path: openedDir.file('cli.db') });
    openedStore = store;
    expect(store.executor.database.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
    expect(store.executor.database.pragma('busy_timeout', { simple: true })).toBe(5_000);
  });
});
