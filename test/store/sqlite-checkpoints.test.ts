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

describe('WAL checkpoints of a serving SQLite store', () => {
  let dir: TempDir | undefined;
  let store: SqliteStore | undefined;

  afterEach(async () => {
    await store?.close();
    dir?.remove();
  });

  it('happen in a worker thread, not in the commits of the event loop', async () => {
    dir = tempDir();
    const path = dir.file('checkpoints.db');
    store = openSqliteStore({ path });
    await store.migrate();
    store.enterServing?.();
    expect(store.executor.database.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    expect(store.executor.database.pragma('busy_timeout', { simple: true })).toBe(0);
    for (let batch = 0; batch < 20; batch++) {
      await store.audit.append(Array.from({ length: 100 }, (_, n) => entry(batch * 100 + n)));
    }
    let rows = 0;
    for (let attempt = 0; attempt < 200 && rows < 2_000; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      rows = rowsInDatabaseFile(dir, path);
    }
    expect(rows).toBe(2_000);
  });

  it('pause while nothing is committed and go on with the next commit', async () => {
    dir = tempDir();
    const path = dir.file('idle.db');
    store = openSqliteStore({ path });
    await store.migrate();
    store.enterServing?.();
    const settle = async (expected: number): Promise<number> => {
      let rows = 0;
      for (let attempt = 0; attempt < 200 && rows < expected; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        rows = rowsInDatabaseFile(dir as TempDir, path);
      }
      return rows;
    };
    await store.audit.append([entry(1), entry(2)]);
    expect(await settle(2)).toBe(2);
    // Idle ticks of the worker (every 50 ms) find nothing new and skip their checkpoint...
    await new Promise((resolve) => setTimeout(resolve, 300));
    // ...and the next commit is checkpointed all the same.
    await store.audit.append([entry(3)]);
    expect(await settle(3)).toBe(3);
  });

  it('never make a serving connection wait for the write lock: a busy database says so at once', async () => {
    dir = tempDir();
    const path = dir.file('busy.db');
    store = openSqliteStore({ path });
    await store.migrate();
    store.enterServing?.();
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
    dir = tempDir();
    store = openSqliteStore({ path: dir.file('cli.db') });
    expect(store.executor.database.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
    expect(store.executor.database.pragma('busy_timeout', { simple: true })).toBe(5_000);
  });
});
