import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/open-sqlite.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { auditEntry } from '../helpers/audit-entries.js';

const entry = auditEntry;

describe('audit appends that survive power loss (worker thread, synchronous=FULL)', () => {
  let dir: TempDir;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = tempDir();
    store = openSqliteStore({ path: dir.file('fsync.db'), auditDurability: 'power-loss' });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it('acknowledges a batch only once another connection can read it', async () => {
    await Promise.all([store.audit.append([entry(1), entry(2)]), store.audit.append([entry(3)])]);
    const other = openSqliteStore({ path: dir.file('fsync.db') });
    try {
      expect((await other.audit.list({ limit: 10 })).map((r) => r.requestId)).toEqual([
        'req-3',
        'req-2',
        'req-1',
      ]);
    } finally {
      await other.close();
    }
  });

  it('rejects a batch it could not write, and writes the next one', async () => {
    store.executor.database.exec('ALTER TABLE audit_log RENAME TO audit_log_moved');
    await expect(store.audit.append([entry(1)])).rejects.toThrow(/audit_log/);
    store.executor.database.exec('ALTER TABLE audit_log_moved RENAME TO audit_log');
    await store.audit.append([entry(2)]);
    expect((await store.audit.list({ limit: 10 })).map((r) => r.requestId)).toEqual(['req-2']);
  });
});
